"""Run the tap with `python -m tap_gainsight`."""

from tap_gainsight.tap import TapGainsight

TapGainsight.cli()
