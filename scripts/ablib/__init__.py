"""The package behind scripts/ab_losses, the loss A/B studies (docs/ab_study.md).

  common   the error type, log(), atomic writes, JSON, hashes, a run's folder
  specs    the variants and the command line's value syntaxes (variants, key=value lists, seeds, --until)
  cfgedit  cfg and .data files: reading, sections, [yolo]/[net]/section.key edits, variant cfgs
  stats    Student's t quantile, mean and sd, paired intervals, the ECE of the confident bins
  results  results.csv: its columns, a run's row, reading and writing
  darknet  running the darknet binary: its log lines, environment, logged child processes
  plots    map.png, reliability.png and loss.png (matplotlib, imported when a plot is drawn)
  report   table.md and write_report (table and plots of a study folder)
  runner   Progress and Study: a study's runs, resuming, freezing darknet, committing
  cli      the command line: parse_args, main, entry (exit codes and messages)

Imports go down this list only (cli uses everything, common nothing of the package).
"""
