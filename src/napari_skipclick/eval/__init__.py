"""NoC evaluation: click simulator (``clicker``), metrics, manifest data sets, the per-object loop
(``noc``) and the ``skipclick eval`` command (``cli``). Submodules are imported on demand so that
``skipclick --help`` stays fast."""
