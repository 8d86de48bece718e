# SPDX-License-Identifier: GPL-2.0
#
# Sphinx configuration for iobmd's documentation (make docs,
# scripts/build-docs.sh).  The kernel-doc directive is the kernel's own:
# Documentation/sphinx/kerneldoc.py and scripts/kernel-doc from an unpacked
# kernel source tree (IOBMD_KSRC, set by build-docs.sh from what
# scripts/install-deps.sh unpacked), wired as the kernel's conf.py and
# Documentation/Makefile wire them.  Paths in ".. kernel-doc::" are
# relative to the repository's top.
import os
import sys

ksrc = os.environ.get('IOBMD_KSRC', '/var/cache/iobmd/linux-source-6.12')
top = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
sys.path.insert(0, os.path.join(ksrc, 'Documentation', 'sphinx'))

# kernel-doc exits non-zero on any warning (a missing parameter, a
# malformed comment), which kerneldoc.py turns into a Sphinx warning, which
# sphinx-build -W turns into a failure.
os.environ['KDOC_WERROR'] = '1'

project = 'iobmd'
copyright = 'The iobmd authors'
with open(os.path.join(top, 'VERSION')) as f:
    release = version = f.read().strip()

extensions = ['kerneldoc']
kerneldoc_bin = os.path.join(ksrc, 'scripts', 'kernel-doc')
kerneldoc_srctree = top
kerneldoc_verbosity = 1

primary_domain = 'c'
highlight_language = 'none'
# Kernel attributes the C domain must read as attributes, not names.
c_id_attributes = ['__user', '__iomem', '__must_check', '__init', '__exit',
                   '__printf', '__always_inline', 'noinline',
                   '__iobmd_hot']

master_doc = 'index'
exclude_patterns = ['_build']

try:
    import sphinx_rtd_theme  # noqa: F401
    html_theme = 'sphinx_rtd_theme'
except ImportError:
    html_theme = 'alabaster'
html_title = 'iobmd %s' % release
html_show_sourcelink = False
