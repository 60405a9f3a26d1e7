#!/usr/bin/env bash
# The fleet on one machine (scripts/run.sh --fleet-demo calls this after setting up the host and
# building): an S3 server (s3proxy, from Maven Central, on loopback), two Karafs of our
# distribution (each its own copy, data, ports and runtime directory; one libvirtd) sharing one
# encrypted repository s3://fleet-demo/repo, and two guests cloned from one image. Each host backs
# up its guest; the second finds the template stored by the first; the second lists the first's
# backup, restores it and compares the bytes with the guest's disk at backup time. Exit 0 only if
# all matched. Everything it starts it stops, by pid.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
source scripts/java-env.sh
source scripts/lib-guest.sh
source scripts/lib-karaf.sh
karaf_prepare no

say() { printf 'fleet-demo: %s\n' "$*"; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
S3PROXY=$ROOT/s3/target/s3proxy/s3proxy.jar
[[ -f $S3PROXY ]] || { say "no $S3PROXY: build first (scripts/run.sh --build --fleet-demo)"; exit 1; }

work=$(mktemp -d /var/tmp/virt-backup-fleet.XXXXXX)
chmod 0711 "$work"
tag=$(basename "$work" | tr -dc 'a-zA-Z0-9' | tail -c 6)
pids=()
declare -A karaf_pids=()
cleanup() {
    for host in ${karaf_pids[@]+"${!karaf_pids[@]}"}; do
        karaf_stop "$work/$host" "${karaf_pids[$host]}"
    done
    guest_destroy "fleet-$tag-a" || true
    guest_destroy "fleet-$tag-b" || true
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        for i in $(seq 50); do [[ -d /proc/$pid ]] || break; sleep 0.2; done
    done
    rm -rf "$work" /run/virt-backup-fleet-"$tag"-*
}
trap cleanup EXIT

s3port=$(free_port)
secret=$(openssl rand -hex 16)
mkdir -p "$work/s3/fleet-demo"
(umask 077 && cat >"$work/s3proxy.conf" <<CONF
s3proxy.endpoint=http://127.0.0.1:$s3port
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=fleet
s3proxy.credential=$secret
jclouds.provider=filesystem-nio2
jclouds.identity=unused
jclouds.credential=unused
jclouds.filesystem.basedir=$work/s3
CONF
)
java -Xmx512m -jar "$S3PROXY" --properties "$work/s3proxy.conf" >"$work/s3proxy.log" 2>&1 &
pids+=($!)
up=no
for _ in $(seq 60); do
    kill -0 "${pids[0]}" 2>/dev/null || break
    curl -s -o /dev/null "http://127.0.0.1:$s3port/" && { up=yes; break; }
    sleep 1
done
[[ $up == yes ]] || { say "s3proxy did not start:"; cat "$work/s3proxy.log" >&2; exit 1; }
say "S3 server (s3proxy, pid ${pids[0]}) on 127.0.0.1:$s3port, bucket fleet-demo"

(umask 077 && openssl rand -hex 32 >"$work/repository.key")
for host in first second; do
    home=$work/$host
    # The distribution, not the main instance's state: its data/ holds a catalogue and job journals
    # of domains that instance owns, which a copy would recover and resume as its own.
    mkdir "$home"
    (cd "$KARAF" && tar --exclude=./data --exclude=./karaf.pid -cf - .) | (cd "$home" && tar -xf -)
    sed -i "s/^sshPort *=.*/sshPort = $(free_port)/" "$home/etc/org.apache.karaf.shell.cfg"
    sed -i -e "s/^rmiRegistryPort *=.*/rmiRegistryPort = $(free_port)/" \
        -e "s/^rmiServerPort *=.*/rmiServerPort = $(free_port)/" "$home/etc/org.apache.karaf.management.cfg"
    mkdir -p "$work/$host-restore"
    cat >"$home/etc/org.virtbackup.cfg" <<CONF
runtime.directory = /run/virt-backup-fleet-$tag-$host
restore.roots = $work/$host-restore
repository.url = s3://fleet-demo/repo
repository.key.file = $work/repository.key
repository.refresh.seconds = 5
CONF
    (umask 077 && cat >"$home/etc/org.virtbackup.s3-demo.cfg" <<CONF
name = demo
endpoint = http://127.0.0.1:$s3port
buckets = fleet-demo
.access.key = fleet
.secret.key = $secret
CONF
    )
    karaf_pids[$host]="" # bin/stop at least, should its pid never show
    "$home/bin/start"
    karaf_await_pid "$home" || exit 1
    karaf_pids[$host]=$AWAITED_PID
done
port_of() { sed -n 's/^sshPort *= *//p' "$work/$1/etc/org.apache.karaf.shell.cfg"; }
on() { printf '%s\n' "$2" | "$work/$1/bin/client" -u karaf -k "$ADMIN_KEY" -p "$(port_of "$1")" -b | tr -d '\r'; }
for host in first second; do
    for i in $(seq 120); do on "$host" "backup:list" >/dev/null 2>&1 && break; sleep 2; done
    on "$host" "backup:list" >/dev/null || { say "the $host Karaf did not start: see $work/$host/data/log/karaf.log"; exit 1; }
    say "Karaf '$host' is up ($work/$host, SSH port $(port_of "$host"))"
done

say "two guests cloned from one image with 64 MiB of data; the second then changed by 4 MiB"
guest_clone_pair "fleet-$tag-a" "fleet-$tag-b" "$work" || { say "cannot create the cloned guests"; exit 1; }
cp "$work/template.qcow2" "$work/expected-a.qcow2"   # guest a writes nothing

param() { on "$1" "backup:params $2" | awk -F'|' -v k="$3" '{ gsub(/ /, "", $1) } $1 == k { gsub(/ /, "", $2); print $2 }'; }
ua=$(on first "backup:create --wait fleet-$tag-a" | tail -n 1)
[[ $ua =~ ^[0-9a-f-]{36}$ ]] || { say "the first host's backup did not end with a UUID: $ua"; exit 1; }
say "first host: backup $ua of fleet-$tag-a stored $(param first "$ua" bytes.stored) bytes"
ub=$(on second "backup:create --wait fleet-$tag-b" | tail -n 1)
[[ $ub =~ ^[0-9a-f-]{36}$ ]] || { say "the second host's backup did not end with a UUID: $ub"; exit 1; }
say "second host: backup $ub of fleet-$tag-b stored $(param second "$ub" bytes.stored) bytes, found $(param second "$ub" bytes.deduplicated) stored by the first"

on second "backup:refresh" | sed 's/^/    /'
if ! on second "backup:list fleet-$tag-a" | grep -q "$ua"; then
    say "MISMATCH: the second host does not list the first host's backup"
    exit 1
fi
say "the second host lists the first host's backup $ua"
out=$(on second "backup:restore --disk vda=$work/second-restore/a.qcow2 --verify $ua")
printf '%s\n' "$out" | sed 's/^/    /'
if printf '%s\n' "$out" | grep -q '(verified)' && qemu-img compare -q "$work/second-restore/a.qcow2" "$work/expected-a.qcow2"; then
    say "qemu-img compare: the disk the second host restored equals fleet-$tag-a's disk at the first host's backup"
else
    say "MISMATCH: the disk restored on the second host differs from the guest's"
    exit 1
fi
on first "backup:delete $ua" >/dev/null
on second "backup:delete $ub" >/dev/null
on second "backup:gc" | sed 's/^/    /'
say "OK: two hosts backed up into one S3 repository, deduplicated against each other, and one restored the other's backup byte for byte"
