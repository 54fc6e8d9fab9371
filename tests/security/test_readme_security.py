"""The README's "Security: TLS and credentials" example, run as a reader runs it, against the
local PostgreSQL's TLS (``make services``), with the output the README shows."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.integration.test_readme import marked_blocks
from tests.security.conftest import CA, PASSWORD


def test_the_security_example_prints_what_the_readme_says(postgres_tls: None, tmp_path: Path) -> None:
    (code,), (output,) = marked_blocks("security"), marked_blocks("security-output")
    secret = tmp_path / "db-password"
    secret.write_text(PASSWORD + "\n")
    script = tmp_path / "security.py"
    script.write_text(code, encoding="utf-8")
    env = {**os.environ, "DB_CA_FILE": CA, "DB_PASSWORD_FILE": str(secret)}
    env.pop("ORMADA_URL", None)
    result = subprocess.run([sys.executable, script.name], cwd=tmp_path, capture_output=True, text=True,
                            timeout=60, env=env, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout == output
    assert PASSWORD not in result.stdout + result.stderr
