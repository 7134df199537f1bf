"""What a host is, as a CMDB sees it: identity and hardware inventory carried by a health run.

Every field is what the host reported, verbatim, or empty when it could not be read (DMI serials
are root-only; a host without a driver reports no GPU serials). Placeholder strings that vendors
leave in DMI ("To be filled by O.E.M.", "Default string") are dropped to empty: two hosts must
never share a serial a CMDB would identify them by.
"""

from __future__ import annotations

from pydantic import Field

from schemas.envelope import Strict


class GpuAsset(Strict):
    index: int
    uuid: str = ""
    serial: str = Field(default="", description="Board serial (NVML nvmlDeviceGetSerial).")
    name: str = Field(default="", description="Product name, e.g. NVIDIA H100 80GB HBM3.")
    vbios: str = ""
    bdf: str = Field(default="", description="PCI address, normalised: 0000:3b:00.0")


class HostInventory(Strict):
    """``data.inventory`` of a health envelope. Since schema 1.3 (optional)."""

    system_vendor: str = Field(default="", description="DMI sys_vendor.")
    product_name: str = Field(default="", description="DMI product_name (the server model).")
    product_serial: str = Field(default="", description="DMI product_serial (root only).")
    product_uuid: str = Field(default="", description="DMI product_uuid (root only).")
    board_serial: str = Field(default="", description="DMI board_serial (root only).")
    bios_version: str = Field(default="", description="DMI bios_version (system firmware).")
    driver_version: str = Field(default="", description="NVIDIA driver version.")
    cuda_version: str = ""
    gpu_backend: str = Field(
        default="", description="nvml, nvidia-smi-xml, nvidia-smi-csv or empty."
    )
    gpus: list[GpuAsset] = Field(default_factory=list)
