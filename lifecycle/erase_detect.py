"""Read-only detection of each disk's sanitisation support on a host, over the one transport.

One `sh -c` runs the identify commands and nothing else: `nvme id-ctrl /dev/nvmeN -o json` per
NVMe controller (sysfs model/serial when nvme-cli is absent) and `hdparm -I /dev/sdX` per disk
whose SCSI vendor is `ATA` (libata's name for every SATA disk); other sd/vd/xvd disks are listed
as such, so a disk diagctl cannot judge is named, not skipped. Both only read identify data;
neither can change a disk. Each section starts with a marker line carrying a random nonce of
ours, so a model string cannot forge a section. The script has no outside input: device names
come from the kernel's own directory entries and are checked again here.
"""

from __future__ import annotations

import re
import secrets

from diag.textsafe import safe_text
from diag.transport.base import Target, Transport
from lifecycle.erase_parse import parse_hdparm, parse_nvme_id_ctrl, parse_nvme_sysfs
from schemas.lifecycle_retire import EraseDevice

_NAME = re.compile(r"^(nvme\d{1,4}|x?[sv]d[a-z]{1,4})$")
CAP = 256 * 1024


MARK = re.compile(r"@@[0-9a-f]{16}")  # the nonce script() is given


def script(mark: str) -> str:
    """The host side; `mark` is hex (no shell meaning)."""
    return f"""M='{mark}'
for c in /sys/class/nvme/nvme*; do
  [ -e "$c" ] || continue; n=${{c##*/}}
  if command -v nvme >/dev/null 2>&1; then echo "$M nvme $n"; nvme id-ctrl "/dev/$n" -o json 2>&1
  else echo "$M nvme-sysfs $n"
    for f in model serial; do echo "$M.file $f"; head -c 200 "$c/$f" 2>/dev/null; echo; done
  fi
done
for b in /sys/block/sd* /sys/block/vd* /sys/block/xvd*; do
  [ -e "$b" ] || continue; n=${{b##*/}}
  v=$(head -c 16 "$b/device/vendor" 2>/dev/null | tr -dc 'A-Za-z0-9')
  if [ "$v" != ATA ]; then echo "$M other $n"; continue; fi
  if command -v hdparm >/dev/null 2>&1; then echo "$M sata $n"; hdparm -I "/dev/$n" 2>&1
  else echo "$M sata-none $n"; fi
done
echo "$M end"
"""


def _sysfs_files(body: str, mark: str) -> dict[str, str]:
    files: dict[str, str] = {}
    for part in body.split(f"{mark}.file ")[1:]:
        name, _, value = part.partition("\n")
        files[name.strip()] = value
    return files


def _device(kind: str, name: str, body: str, mark: str) -> EraseDevice:
    if kind == "nvme":
        return parse_nvme_id_ctrl(name, body)
    if kind == "nvme-sysfs":
        return parse_nvme_sysfs(name, _sysfs_files(body, mark))
    if kind == "sata":
        return parse_hdparm(name, body)
    if kind == "sata-none":
        why = "hdparm is not installed: ATA Security and Sanitize support cannot be read"
        return EraseDevice(device=name, transport="sata", unknown=[why])
    why = "not an NVMe or ATA disk (SAS, USB, virtio, Xen): diagctl cannot read its erase support"
    return EraseDevice(device=name, transport="unknown", unknown=[why])


def parse_sections(text: str, mark: str) -> tuple[list[EraseDevice], str]:
    """(devices, problem): problem is "" when the script ran to its end marker."""
    devices: list[EraseDevice] = []
    chunks = re.split(rf"(?m)^{re.escape(mark)} ", text)
    ended = False
    for chunk in chunks[1:]:
        head, _, body = chunk.partition("\n")
        kind, _, name = head.strip().partition(" ")
        if kind == "end":
            ended = True
        elif kind in ("nvme", "nvme-sysfs", "sata", "sata-none", "other") and _NAME.match(name):
            devices.append(_device(kind, name, body, mark))
    return devices, "" if ended else "the detection script did not finish (output cut?)"


async def detect(
    transport: Transport, t: Target, timeout: float, mark: str = ""
) -> tuple[list[EraseDevice], str]:
    """(devices, problem); a host that cannot be reached gives ([], why). `mark`: the nonce
    of a script another engine already ran (`diagctl ingest`), else a fresh one."""
    mark = mark or "@@" + secrets.token_hex(8)
    res = await transport.run(t, ("sh", "-c", script(mark)), b"", timeout)
    if res.exit_code is None:
        return [], f"{res.error}: {safe_text(res.message)[:200]}"
    text = res.stdout[:CAP].decode("utf-8", "replace")
    return parse_sections(text, mark)
