"""Set Superset up for `make dashboard`, in one process; run with Superset's Python.

    superset_setup.py [--initialise] [--import ZIP] --username admin

--initialise (first start): create or migrate the metadata database (what `superset db
upgrade` does), create the roles and permissions (`superset init`) and the admin user, whose
password comes from the environment variable CUSTOMER_SEGMENTATION_SUPERSET_PASSWORD, not from
the command line, where every user of the machine could read it. --import: import a dashboard
ZIP, replacing what an earlier import made (`superset import-dashboards`). One process instead
of one `superset` command each saves an application start (~4 s) per step.
"""

import argparse
import os
import sys
from zipfile import ZipFile

from superset.app import create_app


def initialise(username: str) -> None:
    """Migrate the metadata database, sync roles and permissions, create the admin user."""
    from flask_migrate import upgrade
    from superset import appbuilder, db, security_manager

    upgrade()
    appbuilder.add_permissions(update_perms=True)
    security_manager.sync_role_definitions()
    db.session.commit()
    password = os.environ["CUSTOMER_SEGMENTATION_SUPERSET_PASSWORD"]
    user = security_manager.find_user(username=username)
    if user is not None:
        security_manager.reset_password(user.id, password)
        return
    role = security_manager.find_role(security_manager.auth_role_admin)
    if not security_manager.add_user(
        username, "Admin", "User", f"{username}@localhost", role, password=password
    ):
        sys.exit(f"could not create the Superset user {username}")


def import_dashboard(path: str, username: str) -> None:
    """Import a dashboard export ZIP as ``username``, overwriting an earlier import."""
    from flask import g
    from superset import security_manager
    from superset.commands.dashboard.importers.dispatcher import ImportDashboardsCommand
    from superset.commands.importers.v1.utils import get_contents_from_bundle

    g.user = security_manager.find_user(username=username)
    with ZipFile(path) as bundle:
        contents = get_contents_from_bundle(bundle)
    ImportDashboardsCommand(contents, overwrite=True).run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--initialise", action="store_true")
    parser.add_argument("--import", dest="bundle", help="dashboard export ZIP to import")
    parser.add_argument("--username", default="admin")
    args = parser.parse_args()
    app = create_app()
    with app.app_context():
        if args.initialise:
            initialise(args.username)
        if args.bundle:
            import_dashboard(args.bundle, args.username)


if __name__ == "__main__":
    main()
