# shellcheck shell=bash
# Test guests for virt-backup: OS-less libvirt/QEMU domains with one qcow2 disk.
#
#   source scripts/lib-guest.sh
#   guest_create  probe-a /var/tmp/probe/a.qcow2 1G   # new disk; "-" as SIZE reuses an existing qcow2
#   guest_write   probe-a 0x5a 0 4M                    # goes the guest-write path (dirty bitmaps see it)
#   guest_destroy probe-a                              # destroy + undefine (+ checkpoint metadata)
#
# Functions print errors to stderr as "lib-guest: FUNC: ..." and return non-zero; they never
# exit the calling shell and do not change its options. Disk files are never deleted except
# one guest_create made itself and then failed to start.
#
# Environment:
#   LIBVIRT_URI  libvirt connection (default qemu:///system)
#   GUEST_DISK   target device written by guest_write (default vda)

_guest_err() { printf 'lib-guest: %s\n' "$*" >&2; }

_guest_virsh() { virsh -q -c "${LIBVIRT_URI:-qemu:///system}" "$@"; }

# XML-escape the argument (for names and paths placed in attribute/text nodes).
_guest_xml_escape() {
    local s=$1
    s=${s//&/&amp;}; s=${s//</&lt;}; s=${s//>/&gt;}; s=${s//\"/&quot;}; s=${s//\'/&apos;}
    printf '%s' "$s"
}

# guest_virt_type: prints "kvm" when KVM really works for QEMU on this host, else "qemu".
# The check opens /dev/kvm and then starts QEMU with -accel kvm for an instant (result cached).
guest_virt_type() {
    if [[ -z ${_GUEST_VIRT_TYPE:-} ]]; then
        _GUEST_VIRT_TYPE=qemu
        if [[ -c /dev/kvm ]] && ( : <>/dev/kvm ) 2>/dev/null \
            && printf 'quit\n' | timeout 30 qemu-system-x86_64 -accel kvm -machine none \
                   -nodefaults -display none -monitor stdio >/dev/null 2>&1; then
            _GUEST_VIRT_TYPE=kvm
        fi
    fi
    printf '%s\n' "$_GUEST_VIRT_TYPE"
}

# guest_create NAME DISK_PATH SIZE
#   Creates DISK_PATH as a qcow2 image of SIZE (qemu-img syntax: 1G, 512M, ...), which must
#   not exist yet; with SIZE "-" an existing qcow2 image at DISK_PATH is used as it is.
#   Then defines (persistent, "virsh define") and starts an OS-less domain NAME: 256 MiB,
#   1 vCPU, no network, no graphics, one virtio disk "vda" (libvirt alias virtio-disk0),
#   <boot dev='hd'/>, type kvm or qemu per guest_virt_type.
guest_create() {
    if (($# != 3)); then
        _guest_err "guest_create: usage: guest_create NAME DISK_PATH SIZE|-"
        return 2
    fi
    local name=$1 disk=$2 size=$3 created_disk=no type xml fmt
    if [[ ! $name =~ ^[A-Za-z0-9][A-Za-z0-9_.+-]*$ ]]; then
        _guest_err "guest_create: bad domain name '$name' (use letters, digits, _ . + -)"
        return 2
    fi
    if [[ $disk != /* ]]; then
        _guest_err "guest_create: DISK_PATH must be absolute, got '$disk'"
        return 2
    fi
    if _guest_virsh dominfo "$name" >/dev/null 2>&1; then
        _guest_err "guest_create: domain '$name' already exists"
        return 1
    fi
    if [[ $size == - ]]; then
        if [[ ! -f $disk ]]; then
            _guest_err "guest_create: SIZE '-' needs an existing image, but '$disk' does not exist"
            return 1
        fi
        fmt=$(qemu-img info -U --output=json "$disk" 2>&1 | sed -n 's/^ *"format": *"\([^"]*\)".*/\1/p' | head -n1)
        if [[ $fmt != qcow2 ]]; then
            _guest_err "guest_create: '$disk' is not a qcow2 image (format '${fmt:-unreadable}')"
            return 1
        fi
    else
        if [[ -e $disk ]]; then
            _guest_err "guest_create: '$disk' already exists (pass SIZE '-' to reuse it)"
            return 1
        fi
        mkdir -p -- "$(dirname -- "$disk")" || { _guest_err "guest_create: cannot create directory of '$disk'"; return 1; }
        if ! qemu-img create -q -f qcow2 -- "$disk" "$size" >&2; then
            _guest_err "guest_create: qemu-img create -f qcow2 '$disk' '$size' failed"
            return 1
        fi
        created_disk=yes
    fi

    type=$(guest_virt_type)
    xml=$(mktemp "${TMPDIR:-/tmp}/lib-guest.XXXXXX.xml") || { _guest_err "guest_create: mktemp failed"; return 1; }
    cat >"$xml" <<EOF
<domain type='$type'>
  <name>$(_guest_xml_escape "$name")</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64'>hvm</type>
    <boot dev='hd'/>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='$(_guest_xml_escape "$disk")'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
    if ! _guest_virsh define "$xml" >/dev/null; then
        _guest_err "guest_create: virsh define of '$name' failed (XML was: $(tr -s ' \n' ' ' <"$xml"))"
        rm -f -- "$xml"
        [[ $created_disk == yes ]] && rm -f -- "$disk"
        return 1
    fi
    rm -f -- "$xml"
    if ! _guest_virsh start "$name" >/dev/null; then
        _guest_err "guest_create: virsh start '$name' failed; see /var/log/libvirt/qemu/$name.log"
        _guest_virsh undefine --checkpoints-metadata "$name" >/dev/null 2>&1 || true
        [[ $created_disk == yes ]] && rm -f -- "$disk"
        return 1
    fi
}

# _guest_qdev NAME TARGET: QOM path of the virtio-blk backend of disk TARGET in the running
# domain, e.g. /machine/peripheral/virtio-disk0/virtio-backend (from the live XML's alias).
_guest_qdev() {
    local name=$1 target=$2 alias
    alias=$(_guest_virsh dumpxml "$name" | awk -v tgt="$target" '
        /<disk[ >]/            { indisk = 1; dev = ""; al = "" }
        indisk && /<target /   { if (match($0, /dev=.[A-Za-z0-9_.-]*/)) dev = substr($0, RSTART + 5, RLENGTH - 5) }
        indisk && /<alias /    { if (match($0, /name=.[A-Za-z0-9_.-]*/)) al = substr($0, RSTART + 6, RLENGTH - 6) }
        /<\/disk>/             { if (indisk && dev == tgt && al != "") { print al; exit } indisk = 0 }
    ') || return 1
    [[ -n $alias ]] || return 1
    printf '/machine/peripheral/%s/virtio-backend\n' "$alias"
}

# _guest_bytes 4M -> 4194304 (qemu-io units are binary: k, M, G, T)
_guest_bytes() {
    local n=${1%[kKmMgGtT]} u=${1:${#1}-1}
    case $u in
        k|K) echo $((n << 10)) ;; m|M) echo $((n << 20)) ;;
        g|G) echo $((n << 30)) ;; t|T) echo $((n << 40)) ;;
        *) echo "$1" ;;
    esac
}

# guest_write NAME PATTERN_HEX OFFSET LENGTH
#   Writes LENGTH bytes of PATTERN (0x5a or 5a) at OFFSET (qemu-io syntax: 0, 4M, 1G, ...)
#   into the running guest's disk $GUEST_DISK (default vda) through the HMP qemu-io command,
#   i.e. through the guest's own block backend, so dirty bitmaps and backup jobs see it.
#
#   Beware: HMP qemu-io prints its result ("wrote N/N bytes at offset O" or "write failed:
#   ...") on QEMU's stdout, which libvirt sends to the domain log, NOT into the monitor reply
#   (the reply is empty on success and on I/O failure; only errors such as an unknown device
#   come back in it). So success is confirmed from the new part of
#   $GUEST_LOG_DIR/NAME.log (default /var/log/libvirt/qemu), waiting up to 10 s for it.
guest_write() {
    if (($# != 4)); then
        _guest_err "guest_write: usage: guest_write NAME PATTERN_HEX OFFSET LENGTH"
        return 2
    fi
    local name=$1 pat=$2 off=$3 len=$4 target=${GUEST_DISK:-vda} qdev reply
    local log=${GUEST_LOG_DIR:-/var/log/libvirt/qemu}/$1.log before size chunk expect i
    pat=${pat#0x}; pat=${pat#0X}
    if [[ ! $pat =~ ^[0-9A-Fa-f]{1,2}$ ]]; then
        _guest_err "guest_write: PATTERN_HEX must be one byte such as 0x5a, got '$2'"
        return 2
    fi
    local re='^[0-9]+[kKmMgGtT]?$'
    if [[ ! $off =~ $re || ! $len =~ $re ]]; then
        _guest_err "guest_write: OFFSET and LENGTH must be numbers with optional k/M/G/T suffix, got '$off' '$len'"
        return 2
    fi
    if [[ $(_guest_virsh domstate "$name" 2>/dev/null) != running ]]; then
        _guest_err "guest_write: domain '$name' does not exist or is not running"
        return 1
    fi
    if ! qdev=$(_guest_qdev "$name" "$target"); then
        _guest_err "guest_write: no disk '$target' with an alias in the live XML of '$name'"
        return 1
    fi
    if [[ ! -r $log ]]; then
        _guest_err "guest_write: cannot read the domain log '$log' to confirm the write (set GUEST_LOG_DIR)"
        return 1
    fi
    before=$(stat -c %s -- "$log")
    if ! reply=$(_guest_virsh qemu-monitor-command "$name" --hmp \
                 "qemu-io -d $qdev \"write -P 0x$pat $off $len\"" 2>&1); then
        _guest_err "guest_write: qemu-monitor-command on '$name' failed: $reply"
        return 1
    fi
    if [[ -n ${reply//[[:space:]]/} ]]; then
        _guest_err "guest_write: write -P 0x$pat $off $len to $qdev of '$name' failed: $reply"
        return 1
    fi
    expect="wrote $(_guest_bytes "$len")/$(_guest_bytes "$len") bytes at offset $(_guest_bytes "$off")"
    for ((i = 0; i < 100; i++)); do
        size=$(stat -c %s -- "$log" 2>/dev/null || echo 0)
        ((size >= before)) || before=0   # rotated by virtlogd
        chunk=$(tail -c +$((before + 1)) -- "$log" 2>/dev/null || true)
        if grep -qxF -- "$expect" <<<"$chunk"; then
            return 0
        fi
        if grep -qE '^(write failed|qemu-io: |Error)' <<<"$chunk"; then
            _guest_err "guest_write: write -P 0x$pat $off $len to $qdev of '$name' failed: $(grep -E '^(write failed|qemu-io: |Error)' <<<"$chunk" | head -n 3)"
            return 1
        fi
        sleep 0.1
    done
    _guest_err "guest_write: no '$expect' in $log within 10 s; the write to '$name' is unconfirmed"
    return 1
}

# guest_clone_pair NAME_A NAME_B DIR
#   Two running guests cloned from one 256 MiB image holding 64 MiB of distinct data (MiB i filled
#   with byte i+1, DIR/template.qcow2, kept), the second then changed by 4 MiB (0xe1 at 200 MiB)
#   through its block layer. Their disks are DIR/NAME_A.qcow2 and DIR/NAME_B.qcow2.
guest_clone_pair() {
    local a=$1 b=$2 dir=$3 writes=() i
    for i in $(seq 0 63); do writes+=(-c "write -P $((i + 1)) ${i}M 1M"); done
    qemu-img create -q -f qcow2 "$dir/template.qcow2" 256M || return 1
    qemu-io -f qcow2 "${writes[@]}" "$dir/template.qcow2" >/dev/null || return 1
    cp "$dir/template.qcow2" "$dir/$a.qcow2" && cp "$dir/template.qcow2" "$dir/$b.qcow2" || return 1
    guest_create "$a" "$dir/$a.qcow2" - && guest_create "$b" "$dir/$b.qcow2" - && guest_write "$b" 0xe1 200M 4M
}

# guest_destroy NAME
#   Stops the domain (virsh destroy, if running) and undefines it together with its checkpoint,
#   snapshot and managed-save metadata. A domain that does not exist is not an error (so it
#   can be used in cleanup traps). The disk image is left in place.
guest_destroy() {
    if (($# != 1)); then
        _guest_err "guest_destroy: usage: guest_destroy NAME"
        return 2
    fi
    local name=$1 out
    if ! _guest_virsh dominfo "$name" >/dev/null 2>&1; then
        return 0
    fi
    if [[ $(_guest_virsh domstate "$name" 2>/dev/null) != "shut off" ]]; then
        if ! out=$(_guest_virsh destroy "$name" 2>&1); then
            # it may have stopped by itself in between
            if [[ $(_guest_virsh domstate "$name" 2>/dev/null) == running ]]; then
                _guest_err "guest_destroy: virsh destroy '$name' failed: $out"
                return 1
            fi
        fi
    fi
    # a transient domain is gone once destroyed
    _guest_virsh dominfo "$name" >/dev/null 2>&1 || return 0
    if ! out=$(_guest_virsh undefine --checkpoints-metadata --snapshots-metadata --managed-save "$name" 2>&1); then
        _guest_err "guest_destroy: virsh undefine '$name' failed: $out"
        return 1
    fi
}
