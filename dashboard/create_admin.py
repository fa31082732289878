"""Create (or reset) Superset's admin user; run with Superset's Python by `make dashboard`.

The password comes from the environment variable CUSTOMER_SEGMENTATION_SUPERSET_PASSWORD, not
from the command line, where every user of the machine could read it.
"""

import os
import sys

from superset.app import create_app


def main(username: str) -> None:
    password = os.environ["CUSTOMER_SEGMENTATION_SUPERSET_PASSWORD"]
    app = create_app()
    with app.app_context():
        from superset import security_manager

        role = security_manager.find_role(security_manager.auth_role_admin)
        user = security_manager.find_user(username=username)
        if user is None:
            created = security_manager.add_user(
                username, "Admin", "User", f"{username}@localhost", role, password=password
            )
            if not created:
                sys.exit(f"could not create the Superset user {username}")
        else:
            security_manager.reset_password(user.id, password)


if __name__ == "__main__":
    main(sys.argv[1])
