#!/bin/sh
# Run inside the image build (Dockerfile's web-build and worker-build stages), from /src:
# installs one workspace package into /opt/venv with its message catalogs compiled, then drops
# Babel's data of the languages Folio does not speak (folio_common/i18n.py says why).
#   install-package.sh folio-web|folio-worker
set -eu
/opt/venv/bin/pybabel -q compile -d common/folio_common/translations
/opt/uv/bin/uv sync --frozen --no-dev --package "$1" --no-editable
/opt/venv/bin/python -c "from folio_common.i18n import prune_locale_data; prune_locale_data()"
