"""Explorers for course modules 01 (microservices), 02 (serverless) and 09 (runtimes and the CLI).

Each module follows the widgets' split: a pure ``explore_*()`` computation returning a frozen
result, a ``draw_*()`` plot of that result, and a small ipywidgets builder whose ``result`` and
``summary`` can be read without a browser.
"""
