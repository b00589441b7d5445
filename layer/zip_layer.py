"""Zips a binary as extensions/metricline with mode 755, the layout Lambda expects in /opt.

Written with zipfile rather than `zip` so that the mode bits and a fixed timestamp are set
explicitly: the same binary always gives the same zip.
"""
import sys
import zipfile

binary, out = sys.argv[1], sys.argv[2]
info = zipfile.ZipInfo("extensions/metricline", date_time=(2020, 1, 1, 0, 0, 0))
info.external_attr = (0o100755 << 16)  # regular file, rwxr-xr-x
info.compress_type = zipfile.ZIP_DEFLATED
info.create_system = 3  # Unix, so the mode bits are honoured on extraction
with open(binary, "rb") as f, zipfile.ZipFile(out, "w") as z:
    z.writestr(info, f.read(), compresslevel=9)
