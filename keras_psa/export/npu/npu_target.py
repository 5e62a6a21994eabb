"""`VENDOR:SOC` compilation targets for LiteRT's ahead-of-time NPU compiler."""

import dataclasses
import importlib
import pkgutil

# Vendor modules of ai_edge_litert.aot.vendors that are not real NPU vendors.
_NOT_VENDORS = ("example",)


def available_vendors():
    """Names of the vendor modules under `ai_edge_litert.aot.vendors` that have targets."""
    from ai_edge_litert.aot import vendors

    names = []
    for module in pkgutil.iter_modules(vendors.__path__):
        if module.ispkg and module.name not in _NOT_VENDORS:
            try:
                importlib.import_module(f"ai_edge_litert.aot.vendors.{module.name}.target")
            except ImportError:
                continue
            names.append(module.name)
    return sorted(names)


def _target_module(vendor):
    return importlib.import_module(f"ai_edge_litert.aot.vendors.{vendor}.target")


def soc_models(vendor):
    """The SoC names of `vendor` (its `SocModel` values, without "ALL")."""
    return [soc.value for soc in _target_module(vendor).SocModel if soc.value != "ALL"]


@dataclasses.dataclass(frozen=True)
class NpuTarget:
    """One SoC of one vendor.

    Args:
        vendor: module name under `ai_edge_litert.aot.vendors`, e.g. `"qualcomm"`.
        soc: the vendor's `SocModel` value, e.g. `"SM8650"`.
    """

    vendor: str
    soc: str

    @property
    def spec(self):
        return f"{self.vendor}:{self.soc}"

    def litert_target(self):
        """The `ai_edge_litert.aot` Target object for this SoC."""
        module = _target_module(self.vendor)
        return module.Target(module.SocModel(self.soc))

    @property
    def target_id(self):
        """LiteRT's name for the target, e.g. `"Qualcomm_SM8650"` (used in file names)."""
        return repr(self.litert_target())

    def __str__(self):
        return self.spec


def parse_targets(specs):
    """Parses `VENDOR:SOC` strings (`VENDOR:all` for every SoC of a vendor).

    Args:
        specs: a string or a list of strings such as `"intel_openvino:LNL"`,
            `"qualcomm:SM8650"`, `"mediatek:all"`. SoC names are matched
            without regard to case.

    Returns:
        A list of `NpuTarget`s, duplicates removed, in the order given.

    Raises:
        ValueError: for a malformed spec, an unknown vendor or an unknown SoC;
            the message lists the valid names.
    """
    if isinstance(specs, str):
        specs = [specs]
    if not specs:
        raise ValueError("`targets` must name at least one VENDOR:SOC target, e.g. "
                         f"'intel_openvino:LNL'. Received: targets={specs!r}")
    vendors = available_vendors()
    targets = []
    for spec in specs:
        if not isinstance(spec, str):
            raise TypeError(f"`targets` must be strings such as 'qualcomm:SM8650'. "
                            f"Received: {spec!r} of type {type(spec).__name__}")
        vendor, sep, soc = spec.strip().partition(":")
        if not sep or not vendor or not soc:
            raise ValueError(f"`targets` must be of the form VENDOR:SOC (or VENDOR:all), e.g. "
                             f"'intel_openvino:LNL'. Received: {spec!r}")
        if vendor not in vendors:
            raise ValueError(f"Unknown NPU vendor {vendor!r} in target {spec!r}. "
                             f"Valid vendors: {', '.join(vendors)}")
        valid = soc_models(vendor)
        if soc.lower() == "all":
            chosen = valid
        else:
            by_lower = {name.lower(): name for name in valid}
            if soc.lower() not in by_lower:
                raise ValueError(f"Unknown SoC {soc!r} for vendor {vendor!r} in target "
                                 f"{spec!r}. Valid SoCs: {', '.join(valid)}, or 'all'")
            chosen = [by_lower[soc.lower()]]
        for name in chosen:
            target = NpuTarget(vendor, name)
            if target not in targets:
                targets.append(target)
    return targets
