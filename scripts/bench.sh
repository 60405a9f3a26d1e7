#!/usr/bin/env bash
# Run every virt-backup benchmark (module benchmarks/) against this host's libvirt/QEMU.
#
# What it measures: each benchmark times the service doing real work on a real guest and
# compares it with a reference measured in the same run and interleaved with it (A, B, A, B, ...;
# one warm-up round first, not counted; three for the repository's full backups, whose JIT
# compilation a fresh JVM still pays after one): the fastest thing the host itself can do, or for the
# incremental backup the full backup it builds on:
#   full-backup  full backup (BackupService.create + finishJob) of a running guest whose 4 GiB
#                qcow2 disk holds 2 GiB of random data, vs. `qemu-img convert -t none` of the
#                same image; afterwards the backup is checked equal to the disk (qemu-img compare).
#   incremental-backup
#                the same guest and disk: per round a full backup, then 64 scattered 1 MiB writes
#                into the running guest (untimed), then an incremental backup with that full as
#                parent; reports incremental time / full time (RESULT incremental-backup ratio,
#                target 0.1 or less) and the incremental's image size / 64 MiB dirtied
#                (RESULT incremental-bytes ratio, target 1.1 or less); afterwards the last
#                incremental (read through its full) is checked equal to the disk.
#   restore      the same guest and disk, set up once (untimed): a full backup, then 10 rounds of
#                8 scattered 1 MiB writes into the running guest + an incremental with the
#                previous backup as parent; the guest is then shut off (its disk = the tip's
#                content). BackupService.restore of the tip (read through its 11-image chain) into
#                a new qcow2 image vs. `qemu-img convert -t none` of the guest's disk
#                (RESULT restore ratio, target 1.3 or less; the last restored image is checked
#                equal to the disk); then restore(NEW_DOMAIN, INSTANT) of the tip, wall time of
#                the call, the new domain removed after each (RESULT instant-restore seconds,
#                n/a when the service does not support it yet).
#   files        a guest whose 4 GiB disk is one ext4 file system holding 1.25 GiB of random files
#                (mkfs.ext4 -d), a full backup: BackupFiles.extract of a 256 MiB file vs.
#                `qemu-img convert -t none` of the backup's image, what restoring the disk to reach
#                the file costs at the least (RESULT files extract-ratio); listing the root, which
#                opens, mounts and closes the disk (RESULT files list-seconds); the extracted file
#                is checked equal to the one written
#   nbd-export   the same guest and disk: a third-party client reading an unmanaged backup's full
#                NBD export (BackupService.startUnmanaged, then `qemu-img convert -W -m 8 -t none
#                -f raw -O qcow2 <uri> out`, then finishJob; wall time of the three) vs.
#                `qemu-img convert -t none` of the image (RESULT nbd-export ratio, target 1.3 or
#                less); the client's last copy is checked equal to the disk.
#   repository   the same guest: full backups into an encrypted and a plain repository vs.
#                qemu-img convert -t none, and reading + hashing the same chunks over NBD without
#                storing them (RESULT repository-full-floor: the best a backup could do), and the
#                share of the host's cores the encrypted backup and the guest's QEMU used meanwhile
#                (RESULT repository-full-busy share: near 1 means bound by CPU); an incremental after 64 scattered 1 MiB writes of random
#                data vs. the full (and its stored bytes / 64 MiB); a restore into a new qcow2 vs.
#                qemu-img convert; verify vs. reading the stored chunk files (RESULT repository-*)
#   repository-space  what a repository stores: a clone of the guest with 64 MiB of its own
#                (stored / 64 MiB, RESULT repository-dedup) and 512 MiB of a tar of /usr/share
#                (stored / allocated, RESULT repository-compression)
#   s3           the same guest, an encrypted repository on S3 (s3proxy on loopback, started here):
#                full backup vs. a plain multipart upload of its 2 GiB of data through the same
#                client; an incremental after 64 scattered writes vs. that full; restore vs. a
#                ranged download of the same bytes (RESULT s3-*)
#   fleet-catalogue  no guest: 10,000 manifests (100 domains of 100) in an S3 repository; the service's
#                start with its full listing (seconds), list of one domain and lookup (ms)
#   repository-chunk-size  no guest: stored bytes of 64 scattered 1 MiB writes and objects per
#                GiB for chunk sizes 64 KiB..4 MiB (docs/repository-format.md)
#   repository-objects  no guest: 2 GiB through the repository's file store as 2048 objects of
#                1 MiB vs. 128 of 16 MiB, wall time and process CPU (RESULT repository-objects,
#                repository-objects-cpu: what one object per chunk costs); and the 128 objects vs.
#                the repository benchmark's baseline, `qemu-img convert -U -t none -O qcow2` of a
#                4 GiB qcow2 holding 2 GiB of random data (RESULT repository-objects-copy: how much
#                of the full backup's baseline writing alone takes)
#
# How to read it: the last lines are `RESULT <benchmark> <key>=<value>`. A ratio is
# median(service) / median(baseline): 1.00 means as fast as the host's own copy, 1.30 means
# 30 % slower (the target for full-backup is 1.3 or less). Per-round times are printed above
# them; differences under ~20 % between runs are noise on a small virtual host.
# The benchmarks only report: the exit code is non-zero only when
# something went wrong (a backup that did not complete, a copy that differs, a failed command),
# never because a number is bad.
#
#   sudo scripts/bench.sh [--build] [--rounds N] [--work-dir DIR] [--phases] [BENCHMARK...]
#
#   --build      rebuild the modules first (otherwise only when the classes or jars are missing;
#                note that an old build of impl/ is used as it is without --build)
#   --rounds N   measured rounds per benchmark (default 3, env BENCH_ROUNDS)
#   --work-dir   where images go (default /var/tmp/virt-backup-bench, env BENCH_WORK_DIR);
#                needs about 3x the data size free; everything made there is removed afterwards
#   --phases     also print where the time of each backup or restore goes (create(), copy or
#                libvirt's job, end of job; for a restore: qemu-img measure, the copy, the rest)
#   --list       list the benchmarks
#   BENCHMARK    run only these (names as in --list)
#
# Needs root (scripts/setup-host.sh is run first: it makes sure libvirtd runs), java 17, maven.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)
MODULE=$REPO/benchmarks
MAIN=org.virtbackup.bench.Benchmarks

die() { printf 'bench: ERROR: %s\n' "$*" >&2; exit 1; }

build=no
args=()
while (($#)); do
    case $1 in
        --build) build=yes ;;
        -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) args+=("$1") ;;
    esac
    shift
done

"$SCRIPT_DIR/setup-host.sh" || die "scripts/setup-host.sh failed: the host is not ready"
source "$SCRIPT_DIR/java-env.sh"

# Build when asked, or when the classes, the classpath file or a jar on it is missing.
needs_build() {
    [[ -d $MODULE/target/classes/org/virtbackup/bench && -s $MODULE/target/classpath.txt ]] || return 0
    [[ -s $REPO/s3/target/s3proxy/s3proxy.jar ]] || return 0 # the S3 benchmarks' server
    local entry entries
    IFS=: read -r -a entries <"$MODULE/target/classpath.txt" || true
    ((${#entries[@]})) || return 0
    for entry in "${entries[@]}"; do
        [[ -e $entry ]] || return 0
    done
    return 1
}
if [[ $build == yes ]] || needs_build; then
    printf 'bench: building (mvn install -pl benchmarks -am)\n' >&2
    (cd "$REPO" && mvn -B -q install -DskipTests -pl benchmarks -am) || die "the build failed"
    needs_build && die "the build did not produce $MODULE/target/classpath.txt and its jars"
fi

# Run from a private copy of this project's classes and jars: a `mvn install` meanwhile (another
# session, another checkout) replaces the jars in ~/.m2, and a JVM that loads a class from a jar
# replaced under it fails halfway (NoClassDefFoundError). Other jars never change in place.
snapshot=$(mktemp -d "${TMPDIR:-/tmp}/virt-backup-bench-classes.XXXXXX") || die "cannot create a temporary directory"
trap 'rm -rf -- "$snapshot"' EXIT
cp -r -- "$MODULE/target/classes" "$snapshot/classes" || die "cannot copy $MODULE/target/classes"
classpath=$snapshot/classes
IFS=: read -r -a entries <"$MODULE/target/classpath.txt" || true
for entry in "${entries[@]}"; do
    case $entry in
        */org/virtbackup/*.jar)
            cp -- "$entry" "$snapshot/" || die "cannot copy $entry"
            classpath+=:$snapshot/${entry##*/} ;;
        *) classpath+=:$entry ;;
    esac
done

status=0
# The service's heap: 256 MiB at most, whatever the disk (a repository backup holds a few chunks per
# stream and the disk's index, never the disk). A benchmark that needed more would fail here.
java -Xmx256m -Dvirtbackup.s3proxy.jar="$REPO/s3/target/s3proxy/s3proxy.jar" -cp "$classpath" "$MAIN" "${args[@]}" || status=$?
if ((status != 0)); then
    printf 'bench: benchmarks failed (exit %d)\n' "$status" >&2
fi
exit "$status"
