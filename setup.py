"""The package layout, which pyproject.toml cannot say by itself: the ``openfn`` package is plugins/openfn
(as Airflow imports it from a checkout's plugins folder), and ``openfn._js`` is js/ (the JavaScript side's
sources, package.json and package-lock.json, without node_modules or tests). Everything else is in
pyproject.toml."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages("plugins", include=["openfn", "openfn.*"]), "openfn._js"],
    package_dir={"": "plugins", "openfn._js": "js"},
)
