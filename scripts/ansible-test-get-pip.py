"""A stand-in for ansible-test's pip bootstrap script (get-pip.py).

ansible-test creates empty virtual environments and runs its cached
get-pip script inside them with pip's install arguments. The real script
comes from a host outside the package registries this project may use;
this one gives the venv the pip that Python bundles (ensurepip, offline),
then runs the same install with it, so the pinned pip comes from PyPI.
scripts/ansible-sanity copies it into ansible-test's cache.
"""
import subprocess
import sys

subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"], stdout=subprocess.DEVNULL)
# get-pip takes `pip install` arguments without the word `install`.
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + sys.argv[1:]))
