"""Run the atlas-coder CLI with every attempt to reach a non-loopback host recorded.

Used by test_offline.py as ``python tests/netguard.py REPORT_FILE COMMAND ...``: a Python audit
hook sees every name lookup and socket connection (including those of background threads, such
as telemetry), and the attempts are written to REPORT_FILE as JSON lines when the process ends.
"""

from __future__ import annotations

import atexit
import ipaddress
import json
import sys

attempts: list[dict] = []


def _is_local(host) -> bool:
    if host is None or host in ("", "localhost", b"localhost"):
        return True
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    try:
        ip = ipaddress.ip_address(str(host).split("%")[0])
    except ValueError:
        return False
    return ip.is_loopback or ip.is_unspecified


def _hook(event: str, args) -> None:
    host = None
    if event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr", "socket.gethostbyname_ex"):
        host = args[0]
    elif event in ("socket.connect", "socket.sendto"):
        address = args[1]
        if not isinstance(address, tuple):  # AF_UNIX path
            return
        host = address[0]
    else:
        return
    if not _is_local(host):
        attempts.append({"event": event, "host": str(host)})


def _report(path: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for a in attempts:
            fh.write(json.dumps(a) + "\n")


if __name__ == "__main__":
    report_file, argv = sys.argv[1], sys.argv[2:]
    sys.addaudithook(_hook)
    atexit.register(_report, report_file)
    from classifier.cli import main

    code = main(argv)
    sys.exit(code)
