# looplens: `make run` serves the app on http://127.0.0.1:8050, `make test` runs every test.
# Both install what they need first (Debian packages, .venv, pinned requirements).
.PHONY: run test screenshots image

run:
	bash scripts/bootstrap.sh run

test:
	bash scripts/bootstrap.sh test

screenshots:
	bash scripts/bootstrap.sh screenshots

image:  # the container image with podman or Docker (its base made locally when no registry has it)
	bash scripts/bootstrap.sh image
