# Copyright (c) mmzedo contributors. All rights reserved.
"""A name -> function table with a registering decorator and a lookup that
names the known entries (the step rules and the choice rules use it)."""
from typing import Callable, Dict


class NamedRules(Dict[str, Callable]):
    """Rules by name.

    Args:
        kind (str): What a rule is, for the error of an unknown name
            (``'reverse step'``).
    """

    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind

    def register(self, name: str) -> Callable[[Callable], Callable]:
        """Decorator that adds a rule under ``name``."""

        def add(fn: Callable) -> Callable:
            self[name] = fn
            return fn

        return add

    def lookup(self, name: str) -> Callable:
        """The rule called ``name``, or a ``ValueError`` naming the known
        ones."""
        if name not in self:
            raise ValueError(f'Unknown {self.kind} "{name}"; choose from '
                             f'{sorted(self)}.')
        return self[name]
