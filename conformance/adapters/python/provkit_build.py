# An in-tree PEP 517 build backend for the kit: standard library only, so `pip install` needs no network.
"""Builds the provkit-adapter wheel (and sdist, and PEP 660 editable wheel) with zipfile and
tarfile alone. setuptools would need `wheel` too, which a bare Python lacks and an offline
machine cannot fetch; this backend needs nothing, with or without pip's build isolation.
The package's metadata lives here; its version is provkit_adapter.__version__.
"""

import base64
import hashlib
import io
import os
import re
import tarfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = "provkit_adapter"
NAME = "provkit-adapter"
SUMMARY = "Wrap a Python provider library as a provkit conformance subject; a provkit mock pytest fixture"
REQUIRES_PYTHON = ">=3.9"
ENTRY_POINTS = "[pytest11]\nprovkit = provkit_adapter.pytest_plugin\n"
SDIST_FILES = ("pyproject.toml", "provkit_build.py", "README.md")


def _version():
    with open(os.path.join(HERE, PACKAGE, "__init__.py"), encoding="utf-8") as source:
        match = re.search(r'^__version__ = "([^"]+)"$', source.read(), re.M)
    if match is None:
        raise RuntimeError(f"{PACKAGE}/__init__.py has no __version__ = \"...\" line")
    return match.group(1)


def _dist_info():
    return f"{PACKAGE}-{_version()}.dist-info"


def _metadata():
    with open(os.path.join(HERE, "README.md"), encoding="utf-8") as readme:
        description = readme.read()
    return (f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {_version()}\nSummary: {SUMMARY}\n"
            f"Requires-Python: {REQUIRES_PYTHON}\nDescription-Content-Type: text/markdown\n\n{description}")


def _package_files():
    root = os.path.join(HERE, PACKAGE)
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(directory, name)
                yield os.path.relpath(path, HERE).replace(os.sep, "/"), path


def _write_wheel(wheel_directory, contents):
    """Writes a py3-none-any wheel of `contents` ({archive path: bytes}) with its dist-info; returns its name."""
    dist_info = _dist_info()
    contents = dict(contents)
    contents[f"{dist_info}/METADATA"] = _metadata().encode()
    contents[f"{dist_info}/WHEEL"] = (b"Wheel-Version: 1.0\nGenerator: provkit_build\nRoot-Is-Purelib: true\n"
                                      b"Tag: py3-none-any\n")
    contents[f"{dist_info}/entry_points.txt"] = ENTRY_POINTS.encode()
    record = []
    for path, data in contents.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{dist_info}/RECORD,,")
    contents[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    filename = f"{PACKAGE}-{_version()}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w", zipfile.ZIP_DEFLATED) as wheel:
        for path, data in contents.items():
            wheel.writestr(zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0)), data)
    return filename


def get_requires_for_build_wheel(config_settings=None):
    return []


get_requires_for_build_sdist = get_requires_for_build_editable = get_requires_for_build_wheel


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    target = os.path.join(metadata_directory, _dist_info())
    os.makedirs(target, exist_ok=True)
    for name, text in (("METADATA", _metadata()), ("entry_points.txt", ENTRY_POINTS)):
        with open(os.path.join(target, name), "w", encoding="utf-8") as out:
            out.write(text)
    return _dist_info()


prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    contents = {}
    for archive_path, path in _package_files():
        with open(path, "rb") as source:
            contents[archive_path] = source.read()
    return _write_wheel(wheel_directory, contents)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    """A wheel holding only a .pth file that puts this source folder on sys.path."""
    return _write_wheel(wheel_directory, {f"{PACKAGE}.pth": (HERE + "\n").encode()})


def build_sdist(sdist_directory, config_settings=None):
    base = f"{PACKAGE}-{_version()}"
    filename = base + ".tar.gz"
    with tarfile.open(os.path.join(sdist_directory, filename), "w:gz", format=tarfile.PAX_FORMAT) as sdist:
        files = [(name, os.path.join(HERE, name)) for name in SDIST_FILES] + list(_package_files())
        for archive_path, path in files:
            sdist.add(path, arcname=f"{base}/{archive_path}", recursive=False)
        info = tarfile.TarInfo(f"{base}/PKG-INFO")
        data = _metadata().encode()
        info.size = len(data)
        sdist.addfile(info, io.BytesIO(data))
    return filename
