"""Runs INSIDE a release's venv (not the suite's): reports what the installed release is.

Output (JSON, to the path in argv[1]): version, Alembic ini/heads/revision graph, the tables and
columns of its SQLAlchemy models, and whether its token tool knows ``--admin``. Written to a file,
not stdout, because importing the gateway logs to stdout.
"""

import importlib.metadata
import inspect
import json
import sys
from pathlib import Path

import mcpgateway
from alembic.config import Config
from alembic.script import ScriptDirectory
from mcpgateway.db import Base
from mcpgateway.utils import create_jwt_token

ini = Path(mcpgateway.__file__).with_name("alembic.ini")
scripts = ScriptDirectory.from_config(Config(str(ini)))
revisions = {rev.revision: sorted(rev._all_down_revisions) for rev in scripts.walk_revisions()}


def postgres_driver() -> str:
    for module in ("psycopg", "psycopg2"):
        try:
            __import__(module)
            return module
        except ImportError:
            continue
    return ""


info = {
    "version": importlib.metadata.version("mcp-contextforge-gateway"),
    "python": sys.version.split()[0],
    "alembic_ini": str(ini),
    "alembic_heads": sorted(scripts.get_heads()),
    "alembic_revisions": revisions,
    "model_columns": {
        name: sorted(c.name for c in table.columns) for name, table in sorted(Base.metadata.tables.items())
    },
    "postgres_driver": postgres_driver(),
    "token_admin_flag": "--admin" in inspect.getsource(create_jwt_token),
}
Path(sys.argv[1]).write_text(json.dumps(info, indent=2))
