#!/usr/bin/env bash
# Re-record tests/fixtures/erase/: boot the Debian kernel in QEMU with an emulated NVMe
# controller and an emulated SATA disk behind AHCI, run the read-only identify commands that
# `diagctl lifecycle retire --detect` runs on a host, and keep their raw output.
# Not run in CI (needs qemu-system-x86, nvme-cli, hdparm, busybox-static, linux-image-amd64).
# Usage: bash scripts/record-erase-captures.sh [OUTDIR]   (default tests/fixtures/erase/qemu)
set -euo pipefail

OUT=${1:-tests/fixtures/erase/qemu}
KERNEL=$(ls /boot/vmlinuz-6.1* | head -1)
KVER=${KERNEL#/boot/vmlinuz-}
MODDIR=/usr/lib/modules/$KVER/kernel
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
ROOT=$WORK/root
mkdir -p "$ROOT"/{bin,sbin,lib/modules,proc,sys,dev,tmp,etc} "$OUT"

cp /bin/busybox "$ROOT/bin/busybox"
for b in /usr/sbin/nvme /usr/sbin/hdparm; do
    cp "$b" "$ROOT/sbin/"
    for lib in $(ldd "$b" | grep -o '/[^ ]*\.so[^ ]*'); do
        mkdir -p "$ROOT$(dirname "$lib")"
        cp -L "$lib" "$ROOT$lib"
    done
done
# Load order: dependencies first (modules.dep of this kernel).
MODS="drivers/scsi/scsi_common drivers/scsi/scsi_mod crypto/crct10dif_common lib/crc-t10dif
lib/crc64 lib/crc64-rocksoft crypto/crc64_rocksoft_generic block/t10-pi drivers/scsi/sd_mod
drivers/ata/libata drivers/ata/libahci drivers/ata/ahci drivers/nvme/host/nvme-core
drivers/nvme/host/nvme"
for m in $MODS; do cp "$MODDIR/$m.ko" "$ROOT/lib/modules/"; done

cat > "$ROOT/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in scsi_common scsi_mod crct10dif_common crc-t10dif crc64 crc64-rocksoft \
         crc64_rocksoft_generic t10-pi sd_mod libata libahci ahci nvme-core nvme; do
    insmod /lib/modules/$m.ko 2>/dev/null
done
i=0; while [ $i -lt 100 ] && { [ ! -e /dev/nvme0 ] || [ ! -e /dev/sda ]; }; do sleep 0.2; i=$((i+1)); done
D=/dev/ttyS1; stty -F $D raw -echo
cap() { name=$1; shift; echo "=== BEGIN $name rc=?"; "$@" 2>&1; echo "=== END $name rc=$?"; }
{
    cap nvme-id-ctrl.json /sbin/nvme id-ctrl /dev/nvme0 -o json
    cap nvme-id-ctrl.txt /sbin/nvme id-ctrl /dev/nvme0 -H
    cap hdparm-I-sda.txt /sbin/hdparm -I /dev/sda
    for f in model serial firmware_rev transport; do cap sysfs-nvme0-$f cat /sys/class/nvme/nvme0/$f; done
    for f in vendor model; do cap sysfs-sda-device-$f cat /sys/block/sda/device/$f; done
    cap versions sh -c '/sbin/nvme version; /sbin/hdparm -V; uname -r'
} > $D
poweroff -f
EOF
chmod +x "$ROOT/init"
(cd "$ROOT" && find . | cpio -o -H newc --quiet | gzip -1) > "$WORK/initrd.gz"
truncate -s 64M "$WORK/nvme.img" "$WORK/sata.img"

ACCEL=tcg
if [ -w /dev/kvm ] && grep -qE 'vmx|svm' /proc/cpuinfo; then ACCEL=kvm; fi
timeout 300 qemu-system-x86_64 -accel "$ACCEL" -m 512 -nographic -no-reboot \
    -kernel "$KERNEL" -initrd "$WORK/initrd.gz" -append "console=ttyS0 quiet panic=-1" \
    -serial "file:$WORK/console.log" -serial "file:$WORK/data.log" -monitor none \
    -drive file="$WORK/nvme.img",if=none,id=drvnvme,format=raw \
    -device nvme,drive=drvnvme,serial=DIAGNVME0001 \
    -device ahci,id=ahci -drive file="$WORK/sata.img",if=none,id=drvsata,format=raw \
    -device ide-hd,drive=drvsata,bus=ahci.0,serial=DIAGSATA0001,model=QEMU-SATA-DISK \
    > "$WORK/qemu.out" 2>&1 || { cat "$WORK/qemu.out" "$WORK/console.log" >&2; exit 1; }

python3 - "$WORK/data.log" "$OUT" <<'EOF'
import pathlib, re, sys
text = pathlib.Path(sys.argv[1]).read_bytes().decode("utf-8", "replace")
out = pathlib.Path(sys.argv[2])
found = re.findall(r"=== BEGIN (\S+) rc=\?\n(.*?)=== END \1 rc=(\d+)\n", text, re.S)
if not found:
    sys.exit("no captures in the VM's output")
for name, body, rc in found:
    (out / name).write_text(body)
    print(f"{name}: {len(body)} bytes, exit {rc}")
EOF
qemu-system-x86_64 --version | head -1 > "$OUT/qemu-version"
echo "accel: $ACCEL" >> "$OUT/qemu-version"
