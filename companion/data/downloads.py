"""Downloading online datasets: the cache folder, checksums and the offline error.

An online entry is downloaded once into a cache folder (``cache_dir=``, else
``$COMPANION_DATA``, else ``~/.cache/companion``) and checked against its
SHA-256. A cached file with the right checksum is used without the network.
Where no checksum is published, the first download's checksum is printed and
recorded beside the file ("trust on first use") and later loads are checked
against it. With no network (or ``offline=True``, or ``COMPANION_OFFLINE=1``)
:func:`fetch` raises :class:`~companion.data.registry.DatasetUnavailableError`,
whose message names the offline alternative.
"""

import hashlib
import os
import pathlib
import tempfile
import urllib.error
import urllib.request

from companion.data.registry import DatasetUnavailableError, describe


def default_cache_dir():
    """Returns the cache folder: ``$COMPANION_DATA`` if set, else ``~/.cache/companion``."""
    return pathlib.Path(
        os.environ.get("COMPANION_DATA") or pathlib.Path("~", ".cache", "companion")
    ).expanduser()


def _offline_requested(offline):
    if offline is None:
        return os.environ.get("COMPANION_OFFLINE", "").strip().lower() in ("1", "true", "yes")
    if not isinstance(offline, bool):
        raise TypeError(f"offline must be a bool or None (got offline={offline!r})")
    return offline


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _unavailable(info, folder, reason):
    alternative = describe(info.alternative)
    checksum = f"sha256 {info.sha256}" if info.sha256 else "no published checksum"
    return DatasetUnavailableError(
        f"dataset {info.name!r} has no verified copy in the cache and cannot be downloaded "
        f"({reason}). "
        f"Offline alternative: load({alternative.name!r}) ({alternative.title}). "
        f"Or place {info.filename} ({checksum}) from {info.url} in {folder}."
    )


def fetch(name, *, cache_dir=None, offline=None):
    """Returns the path of an online dataset's file, downloading it into the cache if needed.

    A cached file is used without the network when its SHA-256 matches the registry's (or,
    where none is published, the checksum recorded at its first download). A download is
    written to a temporary file, verified, then moved into place.

    Args:
        name: str. An online registry name.
        cache_dir: str, path or None. Cache folder; `None` uses :func:`default_cache_dir`.
        offline: bool or None. `True` never touches the network; `None` reads the
            ``COMPANION_OFFLINE`` environment variable (``1`` means offline).

    Returns:
        pathlib.Path of the verified file.

    Raises:
        ValueError: unknown or offline-only ``name``, or a checksum mismatch after download.
        DatasetUnavailableError: not cached and offline or the network is unreachable.
    """
    info = describe(name)
    if info.offline:
        raise ValueError(f"name must be an online dataset (got name={name!r}, which is offline)")
    folder = default_cache_dir() if cache_dir is None else pathlib.Path(cache_dir).expanduser()
    path = folder / info.filename
    recorded = path.with_name(path.name + ".sha256")
    expected = info.sha256
    if expected is None and recorded.is_file():
        expected = recorded.read_text(encoding="utf-8").split()[0]
    if path.is_file():
        actual = _sha256(path)
        if expected is None:  # placed in the cache by hand: record it, check it from now on
            recorded.write_text(f"{actual}  {info.filename}\n", encoding="utf-8")
            return path
        if actual == expected:
            return path
        print(f"[datasets] {path} has sha256 {actual}, expected {expected}; downloading again")
    if _offline_requested(offline):
        raise _unavailable(info, folder, "offline mode: offline=True or COMPANION_OFFLINE=1")
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=info.filename + ".", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            try:
                with urllib.request.urlopen(info.url, timeout=60) as response:
                    for block in iter(lambda: response.read(1 << 20), b""):
                        out.write(block)
            except (urllib.error.URLError, OSError) as err:
                reason = getattr(err, "reason", err)
                raise _unavailable(info, folder, f"network unreachable: {reason}") from err
        actual = _sha256(temporary)
        if info.sha256 is not None and actual != info.sha256:
            raise ValueError(
                f"downloaded {info.url} has sha256 {actual}, expected {info.sha256}; "
                "the file was not kept"
            )
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    if info.sha256 is None:
        recorded.write_text(f"{actual}  {info.filename}\n", encoding="utf-8")
        print(
            f"[datasets] no published checksum for {info.url}; trusting this first download: "
            f"sha256 {actual} (recorded in {recorded})"
        )
    return path
