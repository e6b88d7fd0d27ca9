# notebook-routes: load the kernel extension in every Jupyter kernel of this environment,
# so %%route works without %load_ext (which stays harmless: IPython then says it is loaded).
#
# `pip install notebook-routes` puts this file in {sys.prefix}/etc/ipython/startup/, a
# directory IPython reads for every kernel whose Python is this environment's. A startup
# file rather than InteractiveShellApp.extensions in a config file, because a user's own
# `c.InteractiveShellApp.extensions = [...]` would replace that list, and because
# {sys.prefix}/etc/ipython/ipython_kernel_config.json is one file that every package
# would have to share. Terminal IPython is left alone. Delete this file to opt out.
#
# It runs in the user's namespace, so it defines no names of its own.
if getattr(get_ipython(), "kernel", None) is not None:  # noqa: F821 (IPython provides it)
    get_ipython().extension_manager.load_extension("notebook_routes")  # noqa: F821
