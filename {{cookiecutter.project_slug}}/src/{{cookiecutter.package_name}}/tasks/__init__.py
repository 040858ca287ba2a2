"""Background jobs: a taskiq broker over Redis, run by `{{ cookiecutter.package_name }} worker`."""
