#!/usr/bin/env bash
# The main job: sets up this host, builds what is missing and starts our Karaf distribution
# (Karaf 4.4.10 with the virt-backup feature) against the local libvirtd.
#
#   scripts/run.sh           Karaf in the foreground, with its console: try backup:create DOMAIN --wait
#   scripts/run.sh --demo    non-interactive: creates a small demo guest, writes a known pattern
#                            into its disk, backs it up through the service, checks the backup's
#                            bytes against the pattern, restores it into a new domain and starts
#                            it, checks the restored bytes, prints what it did; exit 0 only if
#                            everything matched
#   scripts/run.sh --fleet-demo  non-interactive: an S3 server and two Karafs sharing one
#                            repository on it, two cloned guests; each host backs up one, the
#                            second restores the first's backup and checks its bytes
#                            (scripts/fleet-demo.sh); exit 0 only if everything matched
#   scripts/run.sh --build   rebuild first (combine with --demo as you like)
#
# Run as root on Debian 12.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

demo=no build=no fleet=no
for arg in "$@"; do
    case $arg in
        --demo) demo=yes ;;
        --fleet-demo) fleet=yes ;;
        --build) build=yes ;;
        *) echo "usage: scripts/run.sh [--demo | --fleet-demo] [--build]" >&2; exit 2 ;;
    esac
done

scripts/setup-host.sh
source scripts/java-env.sh
source scripts/lib-guest.sh

source scripts/lib-karaf.sh
karaf_prepare "$build"
if [[ $fleet == yes ]]; then
    exec scripts/fleet-demo.sh
fi
echo "run: the console's administrator is karaf, with the key $ADMIN_KEY (0600):"
echo "run:   $KARAF/bin/client -u karaf -k $ADMIN_KEY"

if [[ $demo == no ]]; then
    exec "$KARAF/bin/karaf"
fi

# ------------------------------------------------------------------------------ demo
say() { printf 'demo: %s\n' "$*"; }
client() { karaf_client "$1"; }

work=$(mktemp -d /var/tmp/virt-backup-demo.XXXXXX)
# QEMU runs as libvirt-qemu: it must pass through to the guest's disk (mktemp made it 0700).
chmod 0711 "$work"
name=vb-demo-$(basename "$work" | tr -dc 'a-zA-Z0-9' | tail -c 6)
cleanup() {
    guest_destroy "$name" || true
    guest_destroy "$name-restored" || true
    guest_destroy "$name-a" || true
    guest_destroy "$name-b" || true
    guest_destroy "$name-f" || true
    if [[ ${STARTED_KARAF:-no} == yes ]]; then
        karaf_stop "$KARAF" "${KARAF_PID:-}"
    fi
    rm -rf "$work" "${repo:-}" "${policy_cfg:-}" "${files_out:-}" "${restored_image:-}" "${restored_b:-}"
}
trap cleanup EXIT

say "starting Karaf ($KARAF) unless it runs, and waiting for the backup:* commands"
karaf_start_and_wait || exit 1
say "Karaf is up, the backup:* commands answer"
# The console holds every disk on this host: SSH (8101) and JMX (registry 1099, server 44444)
# must listen on loopback only. /proc/net/tcp*: local address:port in hex, state 0A = LISTEN.
# Prints "yes" or "no"; an awk that fails (no table to read) fails the demo rather than passing it.
tables=(/proc/net/tcp)
[[ -r /proc/net/tcp6 ]] && tables+=(/proc/net/tcp6) # absent when IPv6 is disabled
beyond_loopback() {
    awk -v port="$1" 'FNR > 1 && $4 == "0A" { split($2, a, ":")
        loopback = a[1] == "0100007F" || a[1] == "0000000000000000FFFF00000100007F" \
            || a[1] == "00000000000000000000000001000000"   # 127.0.0.1, as IPv4-mapped IPv6, ::1
        if (a[2] == port && !loopback) found = 1 }
        END { print (found ? "yes" : "no") }' "${tables[@]}"
}
for listener in 1FA5:"SSH console (sshHost in etc/org.apache.karaf.shell.cfg)" \
                044B:"JMX registry (rmiRegistryHost in etc/org.apache.karaf.management.cfg)" \
                AD9C:"JMX server (rmiServerHost in etc/org.apache.karaf.management.cfg)"; do
    seen=$(beyond_loopback "${listener%%:*}")
    if [[ $seen != no ]]; then
        say "the ${listener#*:} listens beyond loopback (or its sockets could not be read); it must be 127.0.0.1"
        exit 1
    fi
done
say "the Karaf console (SSH and JMX) listens on loopback only"

say "creating guest $name with a 256 MiB qcow2 disk (no OS)"
guest_create "$name" "$work/disk.qcow2" 256M
say "writing pattern 0x5a at 0..4 MiB and 0xa5 at 100..108 MiB into the running guest's disk"
guest_write "$name" 0x5a 0 4M
guest_write "$name" 0xa5 100M 8M

say "backup:create $name --wait"
out=$(client "backup:create --wait $name")
printf '%s\n' "$out" | sed 's/^/    /'
uuid=$(printf '%s\n' "$out" | tr -d '\r' | tail -n 1)
[[ $uuid =~ ^[0-9a-f-]{36}$ ]] || { say "backup:create did not end with a UUID"; exit 1; }

say "overwriting the pattern in the guest (0x77 at 0..4 MiB): the backup must not see it"
guest_write "$name" 0x77 0 4M

info=$(client "backup:info --no-domain $uuid")
image=$(printf '%s\n' "$info" | sed -n "s/.*<target file=\"\([^\"]*\)\".*/\1/p" | head -n 1)
[[ -f $image ]] || { say "no backup image found in backup:info output:"; printf '%s\n' "$info"; exit 1; }
say "backup $uuid is $image ($(stat -c '%a' "$image"), $(du -h "$image" | cut -f1))"

say "building the expected image offline with the same writes"
qemu-img create -q -f qcow2 "$work/expected.qcow2" 256M
qemu-io -f qcow2 -c 'write -P 0x5a 0 4M' -c 'write -P 0xa5 100M 8M' "$work/expected.qcow2" >/dev/null

ok=yes
if qemu-io -r -f qcow2 -c 'read -P 0x5a 0 4M' -c 'read -P 0xa5 100M 8M' "$image" | grep -q 'Pattern verification failed'; then
    say "MISMATCH: the backup does not hold the patterns written before it"
    ok=no
else
    say "the backup holds 0x5a at 0..4 MiB and 0xa5 at 100..108 MiB"
fi
if qemu-img compare -q "$image" "$work/expected.qcow2"; then
    say "qemu-img compare: the whole backup equals the expected image"
else
    say "MISMATCH: qemu-img compare found the backup differs from the expected image"
    ok=no
fi
restored=$name-restored
say "backup:restore --new-domain $restored --start --verify $uuid"
out=$(client "backup:restore --new-domain $restored --start --verify $uuid") || true # a difference fails it: reported below
printf '%s\n' "$out" | sed 's/^/    /'
restored_image=$(printf '%s\n' "$out" | tr -d '\r' | sed -n 's/^vda -> \(.*\) (verified)$/\1/p')
if [[ -z $restored_image ]]; then
    say "MISMATCH: the restore did not report vda as verified"
    ok=no
else
    say "domain $restored is $(virsh -c qemu:///system domstate "$restored" | head -n 1) on $restored_image"
    virsh -q -c qemu:///system destroy "$restored" >/dev/null 2>&1 || true
    if qemu-img compare -q "$restored_image" "$work/expected.qcow2"; then
        say "qemu-img compare: the restored domain's disk equals the guest's disk at backup time"
    else
        say "MISMATCH: the restored disk differs from the expected image"
        ok=no
    fi
fi
virsh -q -c qemu:///system undefine "$restored" >/dev/null 2>&1 || true
[[ -n $restored_image ]] && rm -f "$restored_image"
client "backup:delete $uuid" >/dev/null
say "deleted backup $uuid and the restored domain"

# ------------------------------------------------------------------------------ single files
# A guest whose disk is one ext4 file system (no partition table): one of its files comes back
# out of the backup, without restoring the disk.
say "creating guest $name-f whose 64 MiB disk is an ext4 file system holding notes.txt and 1 MiB of random data"
mkdir -p "$work/fs/notes"
printf 'virt-backup demo: a file out of a backup\n' > "$work/fs/notes/notes.txt"
head -c 1M /dev/urandom > "$work/fs/random.bin"
truncate -s 64M "$work/fs.raw"
mkfs.ext4 -q -F -d "$work/fs" "$work/fs.raw"
qemu-img convert -q -f raw -O qcow2 "$work/fs.raw" "$work/files.qcow2"
guest_create "$name-f" "$work/files.qcow2" - || { say "cannot create $name-f"; exit 1; }
uf=$(client "backup:create --wait $name-f" | tr -d '\r' | tail -n 1)
[[ $uf =~ ^[0-9a-f-]{36}$ ]] || { say "backup:create of $name-f did not end with a UUID"; exit 1; }
say "backup:files $uf vda (the file system at the disk's root)"
client "backup:files $uf vda" | tr -d '\r' | sed 's/^/    /'
files_out=$KARAF/data/virt-backup-restore/demo-files-${name##*-}   # copies go inside restore.roots
mkdir -p -m 0700 "$files_out"
say "backup:extract $uf vda random.bin --to $files_out, and the directory notes"
client "backup:extract $uf vda random.bin --to $files_out" | tr -d '\r' | sed 's/^/    /' || true # judged by cmp below
client "backup:extract $uf vda notes --to $files_out" | tr -d '\r' | sed 's/^/    /' || true
if cmp -s "$files_out/random.bin" "$work/fs/random.bin" && cmp -s "$files_out/notes/notes.txt" "$work/fs/notes/notes.txt"; then
    say "cmp: the files copied out of the backup equal the ones written into the guest's file system"
else
    say "MISMATCH: a file copied out of the backup differs from the one written"
    ok=no
fi
client "backup:delete $uf" >/dev/null
guest_destroy "$name-f"
rm -rf "$files_out"

# ------------------------------------------------------------------------------ repository
# Two guests cloned from one image back up into one repository: the second stores what differs.
repo=$KARAF/data/virt-backup-targets/demo-repository-${name##*-}
say "a repository at $repo: two guests cloned from one image with 64 MiB of data, the second then changed by 4 MiB"
guest_clone_pair "$name-a" "$name-b" "$work" || { say "cannot create the cloned guests"; exit 1; }
cp "$work/template.qcow2" "$work/expected-b.qcow2"
qemu-io -f qcow2 -c 'write -P 0xe1 200M 4M' "$work/expected-b.qcow2" >/dev/null
for g in "$name-a" "$name-b"; do
    client "backup:target --repository file://$repo $g" >/dev/null
done
param() { client "backup:params $1" | tr -d '\r' | awk -v k="$2" '$1 == k { print $NF }'; }
ua=$(client "backup:create --wait $name-a" | tr -d '\r' | tail -n 1)
ub=$(client "backup:create --wait $name-b" | tr -d '\r' | tail -n 1)
say "backup of $name-a: stored $(param "$ua" bytes.stored) bytes (compressed), found $(param "$ua" bytes.deduplicated) stored already"
say "backup of $name-b: stored $(param "$ub" bytes.stored) bytes, found $(param "$ub" bytes.deduplicated) stored already (shared with $name-a)"
say "the repository holds $(du -sb "$repo" | cut -f1) bytes for the two guests' 2 x 68 MiB"
out=$(client "backup:verify $ua") || true # damage fails it: reported below
printf '%s\n' "$out" | sed 's/^/    /'
printf '%s\n' "$out" | grep -q ': whole' || { say "MISMATCH: backup:verify did not find $ua whole"; ok=no; }
restored_b=$KARAF/data/virt-backup-restore/$name-b-restored.qcow2   # restores go inside restore.roots
out=$(client "backup:restore --disk vda=$restored_b --verify $ub") || true
printf '%s\n' "$out" | sed 's/^/    /'
if printf '%s\n' "$out" | grep -q '(verified)' && qemu-img compare -q "$restored_b" "$work/expected-b.qcow2"; then
    say "qemu-img compare: the disk restored from the repository equals $name-b's disk at backup time"
else
    say "MISMATCH: the disk restored from the repository differs from $name-b's disk"
    ok=no
fi
rm -f "$restored_b"
client "backup:delete $ua" >/dev/null
client "backup:delete $ub" >/dev/null

# ------------------------------------------------------------------------------ policy
# A policy as an operator writes one: three runs on demand, keeping the last two.
policy_cfg=$KARAF/etc/org.virtbackup.policy-demo.cfg
say "a policy ($policy_cfg): $name-a into the repository, keep.last = 2, verifying new backups"
printf 'name = demo\ndomains = %s\ntarget = file://%s\nkeep.last = 2\nverify.after.days = 1\n' "$name-a" "$repo" \
    > "$policy_cfg"
for _ in $(seq 1 30); do client "backup:policies" | grep -c '^demo:' >/dev/null && break; sleep 1; done
client "backup:policies" | grep -c '^demo:' >/dev/null || { say "the policy 'demo' did not appear within 30 s"; exit 1; }
for i in 1 2 3; do
    guest_write "$name-a" "0x$((30 + i))" 8M 1M
    say "backup:policy-run demo (run $i)"
    client "backup:policy-run demo" | tr -d '\r' | sed 's/^/    /' || { say "MISMATCH: run $i of the policy failed"; ok=no; }
done
client "backup:policies" | tr -d '\r' | sed 's/^/    /'
kept=$(client "backup:list $name-a" | tr -d '\r' | grep -c completed || true)
if [[ $kept == 2 ]]; then
    say "the retention kept the last two of the three backups (the first was deleted, its chunks collected)"
else
    say "MISMATCH: $kept backups of $name-a left, the retention keeps 2"
    ok=no
fi
say "backup:prune --dry-run demo: what a prune would keep, and why"
client "backup:prune --dry-run demo" | tr -d '\r' | sed 's/^/    /'
rm -f "$policy_cfg"
client "backup:delete --all $(client "backup:list $name-a" | tr -d '\r' | grep -o -m1 '[0-9a-f]\{8\}-[0-9a-f-]\{27\}')" >/dev/null
client "backup:gc file://$repo" | tr -d '\r' | sed 's/^/    /'
for g in "$name-a" "$name-b"; do
    client "backup:target --clear $g" >/dev/null
done
if [[ $ok == yes ]]; then
    say "OK: backed up, restored into a new domain, and the bytes match the guest at backup time; single files came out of a backup; a repository deduplicated two clones and restored one; a policy kept the last two of its backups"
    exit 0
fi
exit 1
