#!/usr/bin/env bash
# Prepare this host for virt-backup's integration tests: libvirt + QEMU/KVM, no systemd.
#
# Idempotent: run it as often as you like; it only changes what is missing or wrong.
# Works on a fresh Debian 12 (bookworm) machine as root. Exits non-zero with a message
# naming the problem when the host cannot be made ready.
#
#   sudo scripts/setup-host.sh
#
# Environment:
#   LIBVIRT_URI        URI to check (default qemu:///system)
#   SETUP_WAIT_SECONDS how long to wait for libvirtd to answer (default 30)
set -euo pipefail

LIBVIRT_URI=${LIBVIRT_URI:-qemu:///system}
SETUP_WAIT_SECONDS=${SETUP_WAIT_SECONDS:-30}
QEMU_CONF=/etc/libvirt/qemu.conf
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

log() { printf 'setup-host: %s\n' "$*" >&2; }
die() { printf 'setup-host: ERROR: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root (it installs packages and starts libvirtd)"
[[ -r /etc/debian_version ]] || die "this script supports Debian 12 only (no /etc/debian_version)"
# Another Debian (or a derivative) may do: warned, not refused. Package names are Debian 12's
# (trixie has no openjdk-17, for one), so apt says what is missing if they differ.
os_id=$(. /etc/os-release 2>/dev/null && echo "${ID:-?} ${VERSION_ID:-?}") || os_id="? ?"
[[ $os_id == "debian 12" ]] || log "WARNING: tested on Debian 12 only; this is ${os_id}: package names may differ"

# ---------------------------------------------------------------- packages
# Only the packages named below; recommends are skipped on purpose (they pull in a GUI, LVM,
# Xen/LXC/VirtualBox drivers, ... none of which the tests need). ovmf (UEFI firmware, whose
# guests keep an NVRAM file) and swtpm (an emulated TPM, whose state libvirt keeps) are needed:
# a backup carries both, and the tests define such a guest. Single-file restore reads a disk
# through nbdfuse (libnbd-bin), blkid, partx, losetup and mount (util-linux, mount); its tests
# make guest file systems with mkfs.ext4 and debugfs (e2fsprogs) and partition tables with sfdisk (fdisk).
# Note: /etc/libvirt/qemu.conf and the libvirt-qemu user normally come from
# libvirt-daemon-system, which we do not install (it wants systemd); we create both below.
REQUIRED_PKGS=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86
               qemu-utils libnbd-bin xz-utils openssl openssh-client acl ovmf swtpm swtpm-tools
               util-linux mount e2fsprogs fdisk procps curl python3)

pkg_installed() {
    [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true) == "install ok installed" ]]
}

missing=()
for p in "${REQUIRED_PKGS[@]}"; do
    pkg_installed "$p" || missing+=("$p")
done
# A JDK 17 (javac, not only a JRE), whatever other Java the host has: Karaf 4.4 needs 17, and
# java-env.sh picks it from /usr/lib/jvm.
jdk17=no
for jdk in /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/java-17-openjdk-* /usr/lib/jvm/temurin-17*; do
    [[ -x $jdk/bin/javac ]] && jdk17=yes
done
[[ $jdk17 == yes ]] || missing+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)

if ((${#missing[@]})); then
    log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q || die "apt-get update failed"
    apt-get install -y -q --no-install-recommends "${missing[@]}" \
        || die "apt-get install ${missing[*]} failed"
else
    log "packages: all present"
fi

for cmd in virsh libvirtd virtlogd qemu-system-x86_64 qemu-img qemu-io nbdinfo nbdfuse setfacl swtpm swtpm_setup \
           blkid partx losetup mount mkfs.ext4 debugfs sfdisk kill pgrep curl python3; do
    type -P "$cmd" >/dev/null 2>&1 || die "'$cmd' not found on PATH after package installation" # a program, not a builtin
done
for f in /usr/share/OVMF/OVMF_CODE_4M.fd /usr/share/OVMF/OVMF_VARS_4M.fd; do
    [[ -r $f ]] || die "$f not found after installing ovmf"
done

# ---------------------------------------------------------------- users and groups
# Debian's libvirt is built with qemu user "libvirt-qemu" and group "libvirt-qemu" and its QEMU
# driver refuses to initialise when they do not exist ("Failed to parse group 'libvirt-qemu'"),
# and qemu.conf below runs QEMU as that user. libvirt-daemon-system (not installed: it wants
# systemd) normally creates them, plus group kvm for /dev/kvm.
for g in kvm libvirt-qemu; do
    if ! getent group "$g" >/dev/null; then
        log "creating group $g"
        groupadd --system "$g"
    fi
done
if ! getent passwd libvirt-qemu >/dev/null; then
    log "creating user libvirt-qemu"
    nologin=/usr/sbin/nologin
    [[ -x $nologin ]] || nologin=/bin/false
    useradd --system --gid libvirt-qemu --groups kvm --home-dir /var/lib/libvirt \
        --no-create-home --shell "$nologin" --comment "Libvirt Qemu" libvirt-qemu
fi

# /dev/kvm as Debian's udev rule leaves it (root:kvm 0660), so QEMU, running as libvirt-qemu
# (a member of kvm), can use it. Without udev the device node is root's alone.
if [[ -c /dev/kvm ]] && [[ $(stat -c '%G %a' /dev/kvm) != "kvm 660" ]]; then
    log "/dev/kvm: group kvm, mode 0660 (as udev sets it on Debian)"
    chgrp kvm /dev/kvm
    chmod 0660 /dev/kvm
fi

# ---------------------------------------------------------------- qemu.conf
# set_conf KEY VALUE: the first uncommented "KEY = ..." line is replaced, further uncommented
# ones are dropped, and the setting is appended when absent. Comments are left alone.
# Sets conf_changed=yes when the file changed. (It always returns 0 on success: a function
# called as "f && x" would run with errexit off, hiding a failing awk or mv.)
conf_changed=no
set_conf() {
    local key=$1 value=$2 file=$QEMU_CONF tmp
    tmp=$(mktemp "$file.XXXXXX")
    awk -v key="$key" -v line="$key = $value" '
        $0 ~ "^[[:space:]]*" key "[[:space:]]*=" {
            if (!done) { print line; done = 1 }
            next
        }
        { print }
        END { if (!done) print line }
    ' "$file" >"$tmp"
    if cmp -s "$tmp" "$file"; then
        rm -f "$tmp"
        return 0
    fi
    chmod --reference="$file" "$tmp"
    mv -f "$tmp" "$file"
    conf_changed=yes
    log "qemu.conf: $key = $value"
}

mkdir -p /etc/libvirt
if [[ ! -e $QEMU_CONF ]]; then
    log "creating $QEMU_CONF"
    printf '# Written by virt-backup scripts/setup-host.sh (test host, no systemd).\n' >"$QEMU_CONF"
    chmod 0600 "$QEMU_CONF"
fi
# QEMU runs as a Debian host runs it: as libvirt-qemu, libvirt chowning each disk to it while
# the domain runs (dynamic_ownership) and back afterwards (remember_owner). Running it as root
# would hide every file QEMU cannot open on a real host. No AppArmor runs here, hence no
# security driver beyond DAC.
set_conf user '"libvirt-qemu"'
set_conf group '"libvirt-qemu"'
set_conf dynamic_ownership 1
set_conf remember_owner 1
set_conf security_driver '"none"'
# TLS for NBD exports (pull-mode backups with tls='yes'): QEMU reads the server's certificate,
# key and CA from this directory and requires client certificates (verify). The in-container
# tests write their own CA and certificates here; a real host puts its own.
NBD_TLS_DIR=${NBD_TLS_DIR:-/var/lib/virt-backup-test/nbd-tls}
mkdir -p "$NBD_TLS_DIR"
# QEMU (libvirt-qemu) reads them: root's, readable by its group alone.
chgrp libvirt-qemu "$NBD_TLS_DIR"
chmod 0750 "$NBD_TLS_DIR"
# An emulated TPM runs as swtpm runs on a Debian host: as tss (swtpm-tools creates the user),
# its state in /var/lib/libvirt/swtpm/<domain uuid>/, which a backup copies and a restore puts back.
getent passwd tss >/dev/null || die "user tss is missing after installing swtpm-tools"
set_conf swtpm_user '"tss"'
set_conf swtpm_group '"tss"'
# swtpm's local CA signs each new TPM's certificates as tss; the package makes its directory so.
# A libvirtd that ran before tss existed ran swtpm as root, which left root's files there.
if [[ -d /var/lib/swtpm-localca ]] && find /var/lib/swtpm-localca ! -user tss | grep -q .; then
    log "/var/lib/swtpm-localca: owned by tss again (as swtpm-tools makes it)"
    chown -R tss:root /var/lib/swtpm-localca
fi
set_conf backup_tls_x509_cert_dir "\"$NBD_TLS_DIR\""
set_conf backup_tls_x509_verify 1

# ---------------------------------------------------------------- daemons
mkdir -p /var/log/libvirt /var/log/libvirt/qemu /run/libvirt /var/lib/libvirt

# daemon_pid NAME: the pid of a live daemon, from its pid file or /proc; empty if none.
daemon_pid() {
    local name=$1 pid=
    if [[ -r /run/$name.pid ]]; then
        pid=$(<"/run/$name.pid")
        if [[ $pid =~ ^[0-9]+$ ]] && [[ $(cat "/proc/$pid/comm" 2>/dev/null || true) == "$name" ]]; then
            echo "$pid"
            return 0
        fi
    fi
    # no pgrep: procps is not on every minimal Debian image
    local d
    for d in /proc/[0-9]*; do
        if [[ $(cat "$d/comm" 2>/dev/null || true) == "$name" ]]; then
            echo "${d#/proc/}"
            return 0
        fi
    done
}

start_daemon() {
    local name=$1 pid
    pid=$(daemon_pid "$name")
    if [[ -n $pid ]]; then
        log "$name already running (pid $pid)"
        return 0
    fi
    log "starting $name -d"
    rm -f "/run/$name.pid"
    "$name" -d || die "'$name -d' failed; see /var/log/libvirt/ and run '$name -v' in a terminal"
}

stop_daemon() {
    local name=$1 pid i
    pid=$(daemon_pid "$name")
    [[ -n $pid ]] || return 0
    # Only a daemon its pid file names (libvirtd writes /run/libvirtd.pid however it was started):
    # one found by name alone is not ours to signal.
    [[ -r /run/$name.pid && $(<"/run/$name.pid") == "$pid" ]] \
        || die "$name (pid $pid) runs without /run/$name.pid naming it; restart it yourself so that it reads $QEMU_CONF"
    log "stopping $name (pid $pid) so it rereads its configuration (running guests keep running)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        [[ -d /proc/$pid ]] || return 0
        sleep 0.1
    done
    die "$name (pid $pid) did not exit within 10 s after SIGTERM"
}

# qemu.conf is only read at start-up: a daemon started before our change must be restarted.
if [[ $conf_changed == yes ]]; then
    stop_daemon libvirtd
fi
start_daemon virtlogd
start_daemon libvirtd

log "waiting up to ${SETUP_WAIT_SECONDS}s for $LIBVIRT_URI"
deadline=$((SECONDS + SETUP_WAIT_SECONDS))
version_out=
until version_out=$(virsh -c "$LIBVIRT_URI" version 2>&1); do
    if [[ -z $(daemon_pid libvirtd) ]]; then
        die "libvirtd exited during start-up. Last errors in /var/log/libvirt/libvirtd.log:
$(grep -E ' (error|warning) : ' /var/log/libvirt/libvirtd.log 2>/dev/null | tail -n 5 || true)"
    fi
    if ((SECONDS >= deadline)); then
        die "libvirtd does not answer on $LIBVIRT_URI after ${SETUP_WAIT_SECONDS}s: $version_out
  (logs: /var/log/libvirt/libvirtd.log)"
    fi
    sleep 1
done

# ---------------------------------------------------------------- network
# Our guests have no network interface, so the 'default' network is not needed and nothing
# here defines or starts one. If it exists and is set to autostart we leave it alone, but
# say so: on a host without dnsmasq its autostart fails noisily in the libvirtd log.
if virsh -c "$LIBVIRT_URI" net-info default >/dev/null 2>&1; then
    if virsh -c "$LIBVIRT_URI" net-info default 2>/dev/null | grep -Eq '^Autostart:[[:space:]]+yes'; then
        log "note: network 'default' is set to autostart; the tests do not need it"
    fi
fi

# ---------------------------------------------------------------- report
# shellcheck source=lib-guest.sh
source "$SCRIPT_DIR/lib-guest.sh"
libvirt_ver=$(sed -n 's/^Running against daemon: *//p' <<<"$version_out")
[[ -n $libvirt_ver ]] || libvirt_ver=$(sed -n 's/^Using library: *libvirt *//p' <<<"$version_out")
qemu_ver=$(sed -n 's/^Running hypervisor: *QEMU *//p' <<<"$version_out")
kvm=no
[[ $(guest_virt_type) == kvm ]] && kvm=yes
echo "host ready: libvirt ${libvirt_ver:-?}, QEMU ${qemu_ver:-?}, kvm=$kvm"
