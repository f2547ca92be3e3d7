# Sourced by install/setup_dg.sh and install/setup_cluster.sh. Their packages pin an older dagster than the project's,
# so each gets a small environment of its own layered over the project's (PROJECT_VENV, default .venv): it sees the
# project's packages through a .pth file (site.addsitedir, so the project's own .pth files, its editable install
# included, are read too), after its own; its packages are then installed with --no-deps, their dependencies named.
# layered_venv DIR PROJECT_VENV: create DIR (once, without pip) and point it at PROJECT_VENV's site-packages.
layered_venv() {
  local dir=$1 project=$2 site project_site
  [ -x "$dir/bin/python" ] || "${PYTHON:-python3}" -m venv --without-pip "$dir"
  site=$("$dir/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  project_site=$("$project/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  echo "import site; site.addsitedir('$(cd "$project_site" && pwd)')" > "$site/zz_castforge_project.pth"
}
