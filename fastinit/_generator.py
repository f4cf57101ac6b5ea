"""A seeded object whose calls draw from fresh, reproducible streams."""
from . import _core, _registry


def _name(name):
    """A generator or stream name: a str that UTF-8 can encode (it becomes
    part of stream names, which are hashed as UTF-8)."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {name!r}")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ValueError(f"name={name!r} is not encodable as UTF-8 ({e.reason})") from None
    return name


class Generator:
    """``Generator(seed)`` hands every fill call its own stream, so that
    ``g.normal(out=a); g.normal(out=b)`` gives different values for a and b,
    and the same ones again for a new ``Generator(seed)``.

    The k-th call (k = 0, 1, ...) of a generator named ``name`` uses the
    stream ``stream_id(f"{name}#{k}")``.  ``spawn(name)`` makes a child named
    ``parent/name`` that owns its own count, so the values a child draws do
    not depend on how many calls its parent or siblings made: initialize a
    model as ``g.spawn("encoder.layer0.weight").normal(out=w)`` and the order
    of layers no longer matters.
    """

    def __init__(self, seed=None, *, name=""):
        self.seed = _core.check_seed(seed)
        self.name = _name(name)
        self.calls = 0

    def __repr__(self):
        return f"Generator(seed={self.seed}, name={self.name!r}, calls={self.calls})"

    def spawn(self, name):
        """A child generator, named ``self.name + "/" + name``."""
        name = _name(name)
        return Generator(self.seed, name=f"{self.name}/{name}" if self.name else name)

    def stream(self, name):
        """The stream number of a named stream under this generator (for the
        module-level functions' ``stream=``)."""
        return _core.stream_id(f"{self.name}/{name}" if self.name else name)

    def _call(self, fn, args, kwargs):
        for key in ("seed", "stream"):
            if key in kwargs:
                what = getattr(fn, "__name__", None) or repr(fn)   # a partial has none
                raise TypeError(f"Generator.{what}() takes no {key}=: the "
                                f"generator supplies it")
        out = fn(*args, seed=self.seed, stream=_core.stream_id(f"{self.name}#{self.calls}"),
                 **kwargs)
        self.calls += 1     # only a call that filled takes its stream
        return out

    def uniform(self, *args, **kwargs):
        """``fastinit.uniform`` on this generator's next stream."""
        return self._call(_core.uniform, args, kwargs)

    def normal(self, *args, **kwargs):
        """``fastinit.normal`` on this generator's next stream."""
        return self._call(_core.normal, args, kwargs)

    def truncated_normal(self, *args, **kwargs):
        """``fastinit.truncated_normal`` on this generator's next stream."""
        return self._call(_core.truncated_normal, args, kwargs)

    def random_bits(self, *args, **kwargs):
        """``fastinit.random_bits`` on this generator's next stream."""
        return self._call(_core.random_bits, args, kwargs)

    def initialize(self, out, name, *args, **kwargs):
        """The scheme called ``name`` (any name ``fastinit.get`` knows:
        ``"he_normal"``, ``"xavier_uniform_"``, ``"GlorotUniform"``...) on this
        generator's next stream, e.g. ``g.initialize(w, "kaiming_uniform",
        a=math.sqrt(5))``.  Schemes that draw nothing (``eye``, ``dirac``,
        constants) take no stream."""
        fn = _registry.get(name)
        if not _registry.is_random(fn):     # get() passes a callable through
            return fn(out, *args, **kwargs)
        return self._call(fn, (out,) + args, kwargs)
