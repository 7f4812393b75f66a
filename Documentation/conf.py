# SPDX-License-Identifier: GPL-2.0
# Sphinx configuration of this tree's Documentation/ (scripts/lint builds it with warnings as
# errors). Plain reStructuredText as the kernel's Documentation/driver-api/cxl/ writes it; no
# kernel-doc extension (the Rust sources are not parsed).
project = 'CXL Dynamic Capacity DAX regions, in Rust'
copyright = 'the contributors; GPL-2.0'
root_doc = 'index'
exclude_patterns = ['ABI']
html_theme = 'alabaster'
html_theme_options = {'page_width': '1200px'}
