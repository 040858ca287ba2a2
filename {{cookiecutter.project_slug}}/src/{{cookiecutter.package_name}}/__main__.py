"""`python -m {{ cookiecutter.package_name }}` runs the CLI."""

from {{ cookiecutter.package_name }}.cli import main

raise SystemExit(main())
