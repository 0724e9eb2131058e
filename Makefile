# nn-kurs — everything a student, teacher or maintainer runs.
# `make lab` and `make test` are all a newcomer needs; both set up .venv first.

VENV    ?= .venv
PY      := $(VENV)/bin/python
# Verified dataset copies beside the clone (CI and the course's development machines): the one
# place that knows this folder. Every target (tests, browser and Colab tests, bench) finds the
# data through NNKURS_DATA_DIR; elsewhere utils.data uses data/ and downloads what is missing.
SHARED_DATA := $(wildcard $(abspath $(CURDIR)/../shared/data))
export NNKURS_DATA_DIR ?= $(SHARED_DATA)
export PYTHONPATH := $(CURDIR)
export TF_CPP_MIN_LOG_LEVEL := 3
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: help install venv kernel lab test test-unit test-notebooks test-exercises test-full \
        exercises check-exercises bench clean figures sync check-sync dist check-bundle \
        auswerten test-browser test-colab check-release

help:
	@echo "make lab              JupyterLab mit dem Kurs öffnen (richtet .venv ein)"
	@echo "make test             alle Tests: utils, Aufgaben-Sync, Notebooks im Schnellmodus"
	@echo "make exercises        notebooks/ aus solutions/ erzeugen"
	@echo "make check-exercises  prüfen, ob notebooks/ aktuell ist"
	@echo "make sync             Setup-Zellen, Badges, Abbildungen, README-Tabelle, environment.yml"
	@echo "make check-sync       prüfen, ob das alles aktuell ist"
	@echo "make figures          Abbildungen in img/ neu zeichnen"
	@echo "make dist             Pakete für Lehrkräfte: dist/nn-kurs-{aufgaben,loesungen}-*.zip"
	@echo "make check-bundle     Aufgaben-Notebooks prüfen (RUN=1: bis zur ersten Aufgabe ausführen)"
	@echo "make auswerten ABGABEN=ordner [J=4]  Abgaben einer Klasse ausführen, Tabelle in auswertung/"
	@echo "make test-browser     JupyterLab in Chromium: Notebook 01 wie eine Studentin öffnen und ausführen"
	@echo "make test-colab       jedes Aufgaben-Notebook in einer nachgebildeten Colab-Laufzeit"
	@echo "make check-release    vor einer Veröffentlichung: gibt es das Tag aus course.toml auf GitHub?"
	@echo "make test-full        Lösungs-Notebooks im vollen Modus (langsam, Ziele geprüft)"
	@echo "make bench            volle Läufe messen und als Tabelle ausgeben"
	@echo "                      (SEEDS=\"0 1 2\": je Startwert ein Lauf; NB=\"05\": nur Notebook 05)"
	@echo "make clean            Ausgaben, Caches und .venv entfernen"

venv install:
	@bash scripts/venv.sh

# The kernel is the venv's own "python3" (installed by ipykernel into .venv/share/jupyter): the
# JupyterLab of .venv starts it with its own Python. Nothing is registered user-wide, so a second
# clone or a teacher bundle always uses its own .venv. JUPYTER_PATH puts the venv's kernels first.
export JUPYTER_PATH := $(abspath $(VENV))/share/jupyter
# Kernels talk to JupyterLab over IPC sockets (files only this user can open), not local TCP:
# no "Kernel is running over TCP without encryption" warning at every kernel start.
KERNEL_FLAGS := --KernelManager.transport=ipc

kernel: venv
	@$(PY) scripts/kernel_check.py

# Jupyter refuses to run as root unless told so (containers, some cloud machines).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
# Extra arguments for `jupyter lab` (the browser test: --no-browser --port=…).
LAB_ARGS ?=

lab: kernel
	$(VENV)/bin/jupyter lab $(ROOT_FLAG) $(KERNEL_FLAGS) --ServerApp.root_dir=$(CURDIR) \
		--LabApp.default_url=/lab/tree/notebooks $(LAB_ARGS)

exercises: venv sync
	@$(PY) scripts/make_exercises.py

check-exercises: venv
	@$(PY) scripts/make_exercises.py --check

test: venv check-exercises check-sync
	$(PY) -m pytest -n 2 --dist loadgroup tests/ solutions/ -p no:cacheprovider

test-unit: venv
	$(PY) -m pytest tests/ -m "not notebook" -p no:cacheprovider

test-full: venv
	NNKURS_RESULTS_DIR=$${NNKURS_RESULTS_DIR:-build/results-full} $(PY) scripts/bench.py --check

# make bench [SEEDS="0 1 2"] [NB="02 05"] [SAVE=1]: full runs, one per seed (NNKURS_SEED).
bench: venv
	@$(PY) scripts/bench.py $(if $(SEEDS),--seeds $(SEEDS)) $(if $(NB),--only $(NB)) $(if $(SAVE),--save)

figures: venv
	@$(PY) scripts/make_figures.py

sync: venv
	@$(PY) scripts/sync_notebooks.py

check-sync: venv
	@$(PY) scripts/sync_notebooks.py --check

dist: venv check-sync check-exercises
	@$(PY) scripts/make_dist.py

# JupyterLab (started by `make lab`) in a headless Chromium, as a student sees it (< 2 min).
# Needs Debian's chromium and playwright in build/browser-venv; scripts/browser_env.sh sets them
# up where it can (apt as root) and otherwise says why the test is skipped.
test-browser: venv
	@bash scripts/browser_env.sh

# Each exercise notebook alone in an empty folder of a simulated Colab runtime (fast mode).
test-colab: venv
	NNKURS_COLAB_TEST=1 $(PY) -m pytest tests/test_colab.py -p no:cacheprovider -o addopts="" -q

# Before a release (needs the internet, not part of `make test`).
check-release: venv
	@$(PY) scripts/check_release.py

check-bundle: venv
	@$(PY) scripts/check_bundle.py $(if $(RUN),--run)

# Grade a class: ABGABEN=folder (one subfolder per student), optional J=parallel runs,
# AUSGABE=output folder, ZEITLIMIT=seconds per notebook.
auswerten: venv
	@test -n "$(ABGABEN)" || { echo "Bitte den Ordner angeben: make auswerten ABGABEN=abgaben"; exit 2; }
	@$(PY) scripts/auswerten.py "$(ABGABEN)" $(if $(J),-j $(J)) $(if $(AUSGABE),-o "$(AUSGABE)") \
		$(if $(ZEITLIMIT),--zeitlimit $(ZEITLIMIT))

clean:
	rm -rf build dist .pytest_cache solutions/.ipynb_checkpoints notebooks/.ipynb_checkpoints
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
	rm -rf $(VENV)
