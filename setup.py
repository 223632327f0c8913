"""Package map: top-level folders install as subpackages of ``qkdchip``.

Everything else lives in pyproject.toml; only the package list is computed here so that a new
subpackage (e.g. ``sims/keyrate``) needs no edit to the build configuration.
"""

from setuptools import find_packages, setup

PACKAGE_DIRS = {
    "qkdchip": "qkdchip",
    "qkdchip.base": "base",
    "qkdchip.pdk": "pdk",
    "qkdchip.components": "components",
    "qkdchip.circuits": "circuits",
    "qkdchip.sims": "sims",
}

packages: list[str] = []
for pkg, folder in PACKAGE_DIRS.items():
    packages.append(pkg)
    packages.extend(f"{pkg}.{sub}" for sub in find_packages(folder))

setup(packages=packages, package_dir=PACKAGE_DIRS)
