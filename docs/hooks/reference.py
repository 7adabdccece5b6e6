"""MkDocs hook: the generated parts of the reference pages (:mod:`lockerplan.reference`).

A page holding a marker such as ``<!-- reference: cli -->`` gets, in its place, the
reference made from the command line and the settings' declarations at build time.
"""

from lockerplan.reference import render


def on_page_markdown(markdown, page, config, files, **kwargs):
    """Put the generated reference in place of each marker."""
    return render(markdown)
