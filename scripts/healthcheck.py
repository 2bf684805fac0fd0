"""The web container's health check: GET /health/ on this container's gunicorn, stdlib only.

Exit 0 when the app answers 200 (database, broker and cache reachable), 1 otherwise. The Host
header is one the app accepts (the first of ALLOWED_HOSTS), and /health/ is exempt from the HTTPS
redirect, so this works over plain HTTP inside the container.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def host() -> str:
    first = os.environ.get("ALLOWED_HOSTS", "localhost").split(",")[0].strip()
    if first in ("", "*"):
        return "localhost"
    return first.lstrip(".")  # ".example.com" allows example.com and its subdomains


def main() -> int:
    url = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/health/"
    request = urllib.request.Request(url, headers={"Host": host()})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - fixed URL
            body = response.read().decode()
    except urllib.error.HTTPError as error:
        print(f"{url}: HTTP {error.code} {error.read().decode()[:200]}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"{url}: {error}", file=sys.stderr)
        return 1
    print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
