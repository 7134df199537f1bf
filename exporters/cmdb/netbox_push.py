"""The NetBox push through pynetbox (NetBox's official client), imported only when pushing.

A device is looked up by serial first, then by name. An existing device gets only its name,
serial and custom fields updated (pynetbox PATCHes changed fields only; nothing when nothing
changed): diagctl never moves a device to another site, role or type. A new one is created with
the nested site/role/device-type lookups of the payload. Inventory items are matched by device
and name (GPU0, GPU1, ...).
"""

from __future__ import annotations

from typing import Any

from exporters.cmdb import netbox
from exporters.cmdb.target import ATTEMPTS, RETRY_STATUS, PushFailed, PushTarget, clean
from schemas.cmdb import AssetRecord


def _api(target: PushTarget) -> Any:
    import pynetbox
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    class TimeoutSession(requests.Session):
        def request(self, *args: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("timeout", target.timeout_s)
            return super().request(*args, **kwargs)

    session = TimeoutSession()
    retry = Retry(
        total=ATTEMPTS - 1,
        backoff_factor=0.2,
        status_forcelist=tuple(RETRY_STATUS),
        allowed_methods=None,  # PATCH/POST too: the upserts are idempotent by lookup
    )
    session.mount("http://", HTTPAdapter(max_retries=retry))
    session.mount("https://", HTTPAdapter(max_retries=retry))
    api = pynetbox.api(target.url.rstrip("/"), token=target.token)
    api.http_session = session
    return api


def _device(api: Any, rec: AssetRecord, target: PushTarget) -> tuple[Any, str]:
    body = netbox.payload(rec, target.place).device.model_dump(mode="json")
    dev = api.dcim.devices.get(serial=rec.serial) if rec.serial else None
    if dev is None:
        dev = api.dcim.devices.get(name=rec.name)
    if dev is None:
        return api.dcim.devices.create(body), "created"
    changed = dev.update(
        {k: body[k] for k in ("name", "serial", "custom_fields") if body.get(k) not in ("", None)}
    )
    return dev, "updated" if changed else "unchanged"


def push_netbox(target: PushTarget, rec: AssetRecord) -> str:
    """Upsert the device and its GPU inventory items; a summary, or PushFailed."""
    import pynetbox
    import requests

    try:
        api = _api(target)
        dev, what = _device(api, rec, target)
        items = netbox.payload(rec, target.place).inventory_items
        for item in items:
            body = item.model_dump(mode="json")
            found = api.dcim.inventory_items.get(device_id=dev.id, name=item.name)
            if found is None:
                api.dcim.inventory_items.create({"device": dev.id, **body})
            else:
                found.update(body)
    except pynetbox.RequestError as exc:
        status = getattr(exc.req, "status_code", 0)
        down = status in RETRY_STATUS
        raise PushFailed(clean(target, f"HTTP {status or '?'}: {exc.error}"), down) from exc
    except (requests.RequestException, ValueError) as exc:
        why = f"receiver unreachable or unreadable: {exc}"
        raise PushFailed(clean(target, why), isinstance(exc, requests.RequestException)) from exc
    return f"device {what} (id {dev.id}), {len(items)} inventory item(s)"
