"""The command-line tools: keras-psa-convert, -check, -benchmark, -train and -qat.

Each module's `main(argv=None) -> int` is the console script; the scripts in
conversion/ and examples/ of a source checkout call the same functions.
"""
