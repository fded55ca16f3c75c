"""The experiment runner: plans, runs and reports an experiment's grid from plain values (a
`Request`), for the scripts' command line (sdnet.experiments.cli), `sdnet sweep` and analyses.

Everything a user can get wrong is checked before anything is written: the configuration, the
grid, the backend, the output and cache folders, the data, the disk space. Only then is
experiment.json written. A run's configuration is merged in one place, `run_configuration`.
"""
from __future__ import annotations

import importlib.util
import logging
import math
import os
import shutil
import sys
from dataclasses import dataclass, field
from typing import Optional, Union

from sdnet.config import QUICK_OVERRIDES_PRESETS, SDNetConfig, get_preset, parse_modality_fractions
from sdnet.experiments.declaration import Experiment
from sdnet.experiments.grid import Grid, select_grid
from sdnet.io import atomic_write, check_writable_folder, read_json, write_json
from sdnet.training.folder import differing_keys, with_new_fields

log = logging.getLogger("sdnet")
BACKENDS = {"tensorflow": ("tensorflow", "pip install tensorflow-cpu (or tensorflow[and-cuda] on a GPU)"),
            "jax": ("jax", 'pip install "jax[cpu]" (or "jax[cuda12]" on a GPU)'),
            "torch": ("torch", "pip install torch")}


def folders_of(value) -> list:
    """A modality tag's folders in --data: one, or several."""
    return [value] if isinstance(value, str) else list(value)


def tagged_folders_loader(exp, folders, cfg, cache_dir, label_map, mask_suffix=None):
    """One data set of several modalities from one folder of NIfTI pairs each, read with the user's
    label map (or the data set's own structures), in the data set's cardiac phase."""
    from sdnet.data.pairs import NiftiPairsLoader

    structures = label_map or (dict(exp.dataset.structures) if exp.dataset.structures else None)
    if not structures:
        raise ValueError("--data TAG=FOLDER ...: give the label values with --label-map, e.g. MYO=2,LV=3")
    loader = NiftiPairsLoader(folders, structures, mask_suffix=mask_suffix, image_size=cfg.image_size,
                              spacing_mm=cfg.spacing_mm, cache_dir=cache_dir, heart_slices_only=False)
    return loader.keep_phase(exp.dataset.phase)


def modality_roles(exp: Experiment, loader, data) -> dict:
    """{role: the data's modality tag}: the tags an experiment's variants name (Table 3's MR and
    CT) played by the data's own tags. A tag equal to a role plays it; the other tags take the
    remaining roles in the order their --data TAG=FOLDER items were given (alphabetically for one
    folder)."""
    roles = exp.modality_roles
    if not roles:
        return {}
    tags = list(data) if isinstance(data, dict) else sorted(loader.modalities)
    if set(roles) <= set(tags):
        return {role: role for role in roles}
    if len(tags) != len(roles):
        raise ValueError(f"{exp.name} mixes {len(roles)} modalities ({', '.join(roles)}); the data has "
                         f"{len(tags)}: {', '.join(tags)} (give one folder per modality: "
                         f"--data {' '.join(f'{r}=FOLDER' for r in roles)}, any tags)")
    mapping = {role: role for role in roles if role in tags}
    mapping.update(zip([r for r in roles if r not in mapping], [t for t in tags if t not in roles]))
    mapping = {role: mapping[role] for role in roles}
    log.info("modality roles: %s", ", ".join(f"{tag} plays {role}" for role, tag in mapping.items()))
    return mapping


def with_roles(modality_fractions: str, roles: dict) -> str:
    """"MR=1,CT=0.125" with MR and CT replaced by the tags that play them."""
    shares = parse_modality_fractions(modality_fractions)
    return ",".join(f"{roles.get(tag, tag)}={share:g}" for tag, share in shares.items())


def use_backend(name, may_restart):
    """Make Keras run on `name`. Keras reads KERAS_BACKEND once, when it is first imported; if
    something imported it already, the command line restarts itself with the variable set."""
    module, install = BACKENDS[name]
    if importlib.util.find_spec(module) is None:
        raise ValueError(f"--backend {name}: the {module} package is not installed ({install})")
    if "keras" not in sys.modules:
        os.environ["KERAS_BACKEND"] = name
        return
    import keras

    if keras.backend.backend() == name:
        return
    if may_restart:
        os.environ["KERAS_BACKEND"] = name
        os.execv(sys.executable, [sys.executable] + sys.argv)
    raise ValueError(f"--backend {name}: Keras already runs on {keras.backend.backend()}; set "
                     f"KERAS_BACKEND={name} before starting Python")


@dataclass
class Request:
    """What to run, as plain values: what the scripts' flags say once parsed (`--set` parsed into
    `overrides`), and what `sdnet sweep` and tests give directly."""
    preset: str = "quick"
    overrides: dict = field(default_factory=dict)     # configuration fields (the --set values), checked
    methods: Optional[list] = None                    # None: the experiment's (or its quick grid's)
    fractions: Optional[list] = None
    splits: Optional[list] = None
    seeds: Optional[list] = None
    variants: Optional[list] = None
    data: Union[None, str, dict] = None               # one folder, {modality tag: folder or [folders]}, or the phantom
    label_map: Optional[dict] = None                  # {structure: label value}
    mask_suffix: Union[None, str, dict] = None        # one suffix, or {modality tag: suffix}
    out: Optional[str] = None
    cache_dir: Optional[str] = None
    backend: str = "tensorflow"
    runs: Optional[str] = None                        # another output whose finished runs are reused
    force: bool = False
    report_only: bool = False
    only: Optional[str] = None                        # one run of the grid, by name
    image_every: int = 0
    stop_after_epochs: Optional[int] = None


@dataclass
class Plan:
    """A checked request: what to run where."""
    exp: Experiment
    cfg: SDNetConfig
    grid: Grid
    loader: object
    out: str
    data_name: str
    request: Request
    roles: dict = None      # {role: the data's modality tag} (see `modality_roles`)


def run_configuration(exp: Experiment, preset, overrides, spec=None, roles=None, num_masks=None) -> SDNetConfig:
    """A run's configuration, merged here and nowhere else. The layers, each overriding the ones
    before: the preset; the experiment's `overrides`; its `quick_overrides` under the quick preset;
    for one run, its method's `quick_method_overrides` (quick preset) and its variant's changes
    (modality tags in the data's own names); then the user's `overrides` (--set); last what no
    flag sets: the run's seed (its spec's) and the data's number of structures (`num_masks`, once
    the data is read). Without `spec`: the experiment's configuration, before any run's own changes."""
    quick = preset in QUICK_OVERRIDES_PRESETS
    changes = {**exp.overrides, **(exp.quick_overrides if quick else {})}
    if spec is not None:
        changes.update(exp.quick_method_overrides.get(spec.method, {}) if quick else {})
        variant = dict(exp.variants[spec.variant]) if spec.variant else {}
        if roles and "modality_fractions" in variant:
            variant["modality_fractions"] = with_roles(variant["modality_fractions"], roles)
        changes.update(variant)
    fixed = {**({"seed": spec.seed} if spec is not None else {}),
             **({"num_masks": num_masks} if num_masks is not None else {})}
    return get_preset(preset, **{**changes, **overrides, **fixed})


def prepare(exp: Experiment, request: Request, may_restart=False, count_disk=True) -> Plan:
    """Check every value and folder; write experiment.json last. ValueError on bad input.
    `count_disk=False`: no disk estimate (it builds the networks: a sweep driver loads no backend)."""
    r = request
    cfg = run_configuration(exp, r.preset, r.overrides)
    grid = select_grid(exp, r.preset, r.methods, r.fractions, r.splits, r.seeds, r.variants)
    for spec in grid.all_specs():             # every run's configuration valid before anything starts
        run_configuration(exp, r.preset, r.overrides, spec)
    if r.stop_after_epochs is not None and r.stop_after_epochs < 1:
        raise ValueError(f"--stop-after-epochs {r.stop_after_epochs}: expected a whole number of at least 1")
    if r.image_every < 0:
        raise ValueError(f"--image-every {r.image_every}: expected 0 (no images) or a number of epochs")
    use_backend(r.backend, may_restart)
    out = r.out or os.path.join("results", f"{exp.name}_{r.preset}")
    data = r.data
    data_name = ("synthetic cardiac phantom (not real data)" if data is None else
                 ", ".join(f"{tag}={','.join(os.path.abspath(f) for f in folders_of(folder))}"
                           for tag, folder in data.items()) if isinstance(data, dict)
                 else os.path.abspath(data))
    if r.report_only:
        check_report_flags(exp, out, cfg, data_name)
    if r.report_only and exp.analyse is None:   # the runs on disk are the data: nothing else is read
        return Plan(exp, cfg, grid, None, out, data_name, r)
    check_writable_folder(out, "output folder (--out)")
    if r.runs is not None and not os.path.isdir(os.path.join(r.runs, "runs")):
        raise ValueError(f"--runs {r.runs}: not an experiment's output folder (no runs/ inside)")
    from sdnet.data.cache import default_cache_dir

    check_writable_folder(r.cache_dir or default_cache_dir(), "cache folder (--cache-dir or $SDNET_CACHE)")
    for folder in ([f for v in data.values() for f in folders_of(v)] if isinstance(data, dict) else [data] if data else []):
        if not os.path.isdir(folder):
            raise ValueError(f"--data {folder}: folder not found (expected {exp.dataset.expects})")
    if r.mask_suffix and not data:
        raise ValueError("--mask-suffix names the label maps of a --data folder; none is given")
    if isinstance(r.mask_suffix, dict) and not isinstance(data, dict):
        raise ValueError("--mask-suffix TAG=SUFFIX names the label maps of a modality tag: give --data as TAG=FOLDER")
    if isinstance(data, dict):
        loader = tagged_folders_loader(exp, data, cfg, r.cache_dir, r.label_map, r.mask_suffix)
    else:
        loader = exp.dataset.load(data or exp.dataset.phantom(r.cache_dir), cfg.image_size, cfg.spacing_mm,
                                  r.cache_dir, r.label_map, r.mask_suffix)
    cfg = run_configuration(exp, r.preset, r.overrides, num_masks=loader.num_masks)
    grid = select_grid(exp, r.preset, grid.methods, grid.fractions, grid.splits, grid.seeds, grid.variants,
                       num_splits=len(loader.splits()))
    plan = Plan(exp, cfg, grid, loader, out, data_name, r, modality_roles(exp, loader, data))
    settings = {"experiment": exp.name, "config": cfg.to_dict(), "data": data_name,
                "structures": dict(zip(loader.structures, loader.label_codes)), "backend": r.backend}
    if plan.roles:      # the variants' modality_fractions name roles; each run.json records the tags
        settings["modality_roles"] = plan.roles
    differing = check_recorded_settings(out, settings, r.force)
    if r.report_only:       # an analysis reads the data and the runs; nothing but the report is written
        return plan
    loader.read()              # every data file checked before anything is written
    check_grid_data(plan)
    selected_specs(plan)       # --only names a run of the grid
    if count_disk:
        check_disk(plan)
    if differing:
        set_aside_outputs(out, differing)
    write_json(os.path.join(out, "experiment.json"), settings)
    return plan


def check_grid_data(plan: Plan):
    """Every split the grid trains on has its subjects, and every labelled fraction selects some
    of them: checked before anything is written (a run would find these after making its folder)."""
    from sdnet.data.training_data import choose_labelled, data_seed

    specs = plan.grid.all_specs()
    for split in sorted({spec.split for spec in specs}):
        training = plan.loader.load_labelled_data(split, "training")
        for role in ("validation", "test"):
            plan.loader.load_labelled_data(split, role)
        for spec in {spec for spec in specs if spec.split == split}:
            cfg = run_config(plan, spec)
            try:
                choose_labelled(plan.loader, training, split, spec.fraction, data_seed(spec.fraction, split, spec.seed),
                                parse_modality_fractions(cfg.modality_fractions), cfg.labelled_choice)
            except ValueError as err:
                raise ValueError(f"--labels {spec.fraction:g} (run {spec.name}): {err}") from None


def recorded_settings(out):
    """experiment.json of an output folder (None where there is none), with the configuration
    fields added since it was written at their defaults."""
    path = os.path.join(out, "experiment.json")
    if not os.path.exists(path):
        return None
    recorded = read_json(path)
    if isinstance(recorded.get("config"), dict):
        recorded["config"] = with_new_fields(recorded["config"])
    return recorded


def check_recorded_settings(out, settings: dict, force) -> list:
    """Refuse an --out folder holding runs of another configuration, naming the differing keys;
    with `force`, return those keys (its outputs are then set aside as a whole)."""
    recorded = recorded_settings(out)
    differing = differing_keys(recorded, settings) if recorded is not None else []
    if differing and not force:
        raise ValueError(f"{out} holds runs of another configuration (differing: {', '.join(differing)}); "
                         "choose another --out or pass --force")
    return differing


def set_aside_outputs(out, differing):
    """--force into a folder of another configuration: all of its runs, report and figures go
    to .replaced/<time>/, so that no old run is reported beside the new ones."""
    import datetime

    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = os.path.join(out, ".replaced", stamp)
    entries = [e for e in os.listdir(out) if e != ".replaced"]
    os.makedirs(target, exist_ok=True)
    for entry in entries:
        shutil.move(os.path.join(out, entry), os.path.join(target, entry))
    log.warning("%s held the outputs of another configuration (differing: %s): moved to %s", out,
                ", ".join(differing), target)


def check_report_flags(exp: Experiment, out, cfg: SDNetConfig, data_name):
    """--report-only describes runs made before: the flags must name the configuration and data
    they were made with (the report states both)."""
    if not os.path.isdir(out):
        raise ValueError(f"--out {out}: folder not found")
    recorded = recorded_settings(out)
    if recorded is None:
        raise ValueError(f"--out {out}: no experiment.json, not an output folder of an experiment")
    if recorded.get("experiment") not in (None, exp.name):
        raise ValueError(f"--out {out} holds the runs of {recorded['experiment']}, not of {exp.name}")
    ours = {"config": {**cfg.to_dict(), "num_masks": recorded["config"].get("num_masks")}, "data": data_name}
    differing = differing_keys({k: recorded.get(k) for k in ours}, ours)
    if differing:
        raise ValueError(f"--report-only: {out} was made with other settings (differing: {', '.join(differing)}); "
                         "give the --preset, --data and --set it was made with")


def run_config(plan: Plan, spec) -> SDNetConfig:
    """The configuration of one run of the plan (`run_configuration`), as `Run` trains it (so that a
    --runs folder's seed-2 run is recognised)."""
    return run_configuration(plan.exp, plan.request.preset, plan.request.overrides, spec, plan.roles,
                             plan.cfg.num_masks)


# Settings that change how a run trains, not the size of its networks or optimisers: runs that
# differ only in these (a grid's seeds, learning rates, data mixtures) are counted from one build.
TRAINING_ONLY = ("seed", "learning_rate", "decay", "beta_1", "epochs", "patience", "min_delta",
                 "batches_per_epoch", "modality_fractions", "batchnorm_statistics", "batchnorm_images",
                 "test_weights", "engine", "run_eagerly", "xla")


def check_disk(plan: Plan):
    """Each finished run keeps its best and last weights; the run in progress also holds a
    checkpoint (weights, batch-norm statistics and every optimiser's moments). Sizes are counted
    from the networks, built once per method and architecture."""
    from sdnet.methods import build_method
    from sdnet.training.spec import run_path

    pending = [s for s in current_specs(plan)
               if not os.path.exists(os.path.join(run_path(plan.out, s), "result.json"))]
    if not pending:
        return
    sizes, keys = {}, {}
    for spec in pending:
        cfg = run_config(plan, spec)
        architecture = {k: v for k, v in cfg.to_dict().items() if k not in TRAINING_ONLY}
        keys[spec] = key = (spec.method, tuple(sorted(architecture.items())))
        if key not in sizes:
            method = build_method(spec.method, cfg)
            weights = sum(math.prod(v.shape) for net in method.networks.values() for v in net.weights) * 4
            sizes[key] = (weights, sum(math.prod(v.shape) for v in method.state_variables()) * 4)
    need = sum(2 * sizes[keys[s]][0] for s in pending) + max(c for _, c in sizes.values()) + 100e6
    free = shutil.disk_usage(plan.out).free
    if free < need:
        raise ValueError(f"{plan.out}: {free / 1e9:.1f} GB free, the weights and checkpoints of {len(pending)} "
                         f"runs need about {need / 1e9:.1f} GB")


def chosen_candidates(plan: Plan) -> dict:
    """{(method, setting, fraction): the chosen variant} for every setting whose candidates have all
    finished on the tuning seed (`sdnet.training.tuning.choose`); test scores are not read."""
    from sdnet.training.spec import run_path
    from sdnet.training.tuning import choose

    chosen = {}
    for key, specs in plan.grid.tuning_specs().items():
        folders = {spec: reused_folder(plan, spec) or run_path(plan.out, spec) for spec in specs}
        paths = {spec: os.path.join(f, "result.json") for spec, f in folders.items()}
        if all(os.path.exists(p) for p in paths.values()):
            runs = {}
            for spec, path in paths.items():
                runs.setdefault(spec.variant, []).append(read_json(path))
            chosen[key] = choose(runs)[0]
    return chosen


def current_specs(plan: Plan) -> list:
    """The runs of the grid as far as it is known: the candidates chosen so far included."""
    return plan.grid.specs(chosen_candidates(plan) if plan.grid.candidates else None)


def selected_specs(plan: Plan) -> list:
    specs = current_specs(plan)
    if plan.request.only is None:
        return specs
    chosen = [s for s in specs if s.name == plan.request.only]
    if not chosen:
        raise ValueError(f"--only {plan.request.only}: not a run of this grid (its runs: "
                         f"{', '.join(s.name for s in specs[:6])}{', ...' if len(specs) > 6 else ''})")
    return chosen


def reused_folder(plan: Plan, spec):
    """The --runs folder of `spec` when it holds this very run finished; None when it holds
    none; ValueError when it holds another run (configuration, data or spec differ)."""
    if plan.request.runs is None:
        return None
    from sdnet.training.folder import RunFolder, identity
    from sdnet.training.run import describe_run      # loads the backend: not for a sweep driver without --runs
    from sdnet.training.spec import run_path

    folder = RunFolder(run_path(plan.request.runs, spec))
    if not folder.done:
        return None
    differing = differing_keys(identity(folder.recorded()), identity(describe_run(spec, run_config(plan, spec),
                                                                                  plan.loader)))
    if differing:
        raise ValueError(f"--runs {plan.request.runs}: {spec.name} there is a run of another configuration "
                         f"(differing: {', '.join(differing)}); train it here without --runs")
    return folder.path


def run_folders(plan: Plan) -> dict:
    """{spec: its folder}: the --runs copy where it is reused, else the one in --out."""
    from sdnet.training.spec import run_path

    return {spec: reused_folder(plan, spec) or run_path(plan.out, spec) for spec in current_specs(plan)}


def run_grid(plan: Plan) -> tuple:
    """Train every selected run (reused ones aside); a run another live process is training is
    skipped (counted). Runs whose candidate is chosen on the tuning seed follow in a second pass."""
    locked, stopped, tried = 0, 0, set()
    while True:     # a second pass when the first chose candidates for the seeds after the tuning seed
        specs = [s for s in selected_specs(plan) if s not in tried]
        if not specs:
            return locked, stopped
        tried.update(specs)
        locked_now, stopped_now = train_specs(plan, specs)
        locked, stopped = locked + locked_now, stopped + stopped_now


def train_specs(plan: Plan, specs) -> tuple:
    """Train these runs in order: (runs skipped as another process's, runs stopped by
    --stop-after-epochs)."""
    from sdnet.reporting.plots import save_examples
    from sdnet.training.lock import RunLocked
    from sdnet.training.run import Run
    from sdnet.training.spec import run_path

    locked, stopped = 0, 0
    for i, spec in enumerate(specs, 1):
        reused = reused_folder(plan, spec)
        if reused:
            log.info("run %d/%d: %s reused from %s", i, len(specs), spec.name, reused)
            continue
        log.info("run %d/%d: %s", i, len(specs), spec.name)
        try:
            result = Run(spec, run_config(plan, spec), plan.loader, run_path(plan.out, spec),
                         image_every=plan.request.image_every, force=plan.request.force,
                         image_writer=save_examples).execute(plan.request.stop_after_epochs)
            if result is None:
                stopped += 1
                log.info("%s: stopped after %d epoch(s) (--stop-after-epochs); run the same command to resume it",
                         spec.name, plan.request.stop_after_epochs)
        except RunLocked as busy:
            log.warning("skipped: %s", busy)
            locked += 1
    return locked, stopped


def report(plan: Plan, wall_s=None):
    from sdnet.reporting.report import collect_results, write_report
    from sdnet.training.spec import run_path

    folders = (run_folders(plan) if plan.loader is not None
               else {spec: run_path(plan.out, spec) for spec in current_specs(plan)})
    reused = [f for f in folders.values() if not f.startswith(os.path.join(plan.out, ""))]
    results = collect_results(plan.out) + [read_json(os.path.join(f, "result.json")) for f in reused]
    if not results:
        raise ValueError(f"{plan.out}: no finished runs yet (no runs/**/result.json)")
    structures = {tuple(r["structures"]) for r in results}
    if len(structures) > 1:
        raise ValueError(f"{plan.out} holds runs of different structures {sorted(structures)}; one report "
                         "needs one set")
    missing = [s.name for s, f in folders.items() if not os.path.exists(os.path.join(f, "result.json"))]
    missing += [f"{name} (its candidate is chosen once the tuning seed's runs finish)"
                for name in plan.grid.waiting(chosen_candidates(plan))] if plan.grid.candidates else []
    def distinct(key):
        return "; ".join(sorted({str(r["hardware"].get(key, "?")) for r in results}))

    context = {"data": plan.data_name, "preset": plan.request.preset, "backend": distinct("backend"),
               "hardware": f"{distinct('device')}; {distinct('cpu')}",
               "image size": f"{plan.cfg.image_size} px at {plan.cfg.spacing_mm:.2f} mm"}
    if wall_s is not None:
        context["this invocation's wall time"] = f"{wall_s / 60:.1f} min"
    order = [(m, v) for m in plan.exp.methods for v in ([""] + list(plan.exp.variants))]    # the table's order
    if reused:
        context["runs reused from"] = os.path.abspath(plan.request.runs)
    title = plan.exp.title
    if plan.roles and any(role != tag for role, tag in plan.roles.items()):
        context["modality roles"] = ", ".join(f"{tag} plays {role}" for role, tag in plan.roles.items())
        results, order, missing = with_tags_in_names(results, order, missing, plan.roles)
        title = tags_in_title(title, plan.roles)
    table = write_report(plan.out, title, results, order, plan.exp.fractions,
                         plan.exp.published, context, missing, getattr(plan.loader, "modalities", None) or (),
                         answer=not plan.exp.candidates)   # candidates: answered at their chosen rates, by the analysis
    if plan.exp.analyse is not None:
        analyse(plan, folders)
    print(f"\n{plan.exp.title} — measured on {plan.data_name}, preset {plan.request.preset} "
          f"(report: {os.path.join(plan.out, 'report.md')})\n")
    print(table)


def tags_in_title(title: str, roles: dict) -> str:
    """"Table 3 — MR + CT mixtures" headed by the data's tags: "Table 3 — cine + LGE mixtures"."""
    import re

    return re.sub(r"\b(" + "|".join(map(re.escape, roles)) + r")\b", lambda m: roles[m.group(0)], title)


def tag_names(name: str, roles: dict) -> str:
    """A variant named by roles ("MR100_CT12.5") named by the tags that play them ("cine100_LGE12.5")."""
    import re

    for role, tag in roles.items():
        name = re.sub(rf"(?<![A-Za-z]){re.escape(role)}(?=[0-9])", tag, name)
    return name


def with_tags_in_names(results, order, missing, roles):
    """The report's copies of the results, grid order and missing names, with the data's tags in
    the variant names, so that its tables are headed cine / LGE where the user's data are."""
    renamed = [{**r, "spec": {**r["spec"], "variant": tag_names(r["spec"].get("variant") or "", roles)}}
               for r in results]
    return (renamed, [(m, tag_names(v, roles)) for m, v in order], [tag_names(n, roles) for n in missing])


def analyse(plan: Plan, folders: dict):
    """The experiment's analysis of its finished runs: its answer, so put in report.md before the
    grid's tables (before the note that they pool several modalities, where they do)."""
    finished = {spec: f for spec, f in folders.items() if os.path.exists(os.path.join(f, "DONE"))}
    if not finished:
        return
    from sdnet.reporting.report import MEASURED_HEADING, POOLED_NOTE

    lines = plan.exp.analyse(plan, finished)
    path = os.path.join(plan.out, "report.md")
    report_text = open(path).read()
    anchor = next(a for a in (f"\n{POOLED_NOTE}", f"\n{MEASURED_HEADING}") if a in report_text)
    head, _, rest = report_text.partition(anchor)
    with atomic_write(path) as f:
        f.write("\n".join([head, *lines, ""]) + anchor + rest)


def collect_finished(out) -> list:
    from sdnet.reporting.report import collect_results

    return collect_results(out)
