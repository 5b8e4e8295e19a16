"""A small module with known costly expressions (symopt lint test data)."""

import math

import numpy as np


def gaussian(x, mu, sigma):
    return math.exp(-((x - mu) ** 2) / 2) * math.exp(mu / 4)


def energy(m, v, g, h):
    return 0.5 * m * v**2 + m * g * h


class Body:
    def distance(self, u):
        d = math.sqrt(u[0] * u[0] + u[1] * u[1]) * math.sqrt(u[0] * u[0] + u[1] * u[1])
        return d


def quiet(a, b):
    return math.exp(a) * math.exp(b)  # symopt: noqa: SYM001, SYM006


def vectorised(x, y):
    s = np.exp(x) * np.exp(y) + x / 8
    return foo(x * x + 2 * x * y + y * y, s)


def foo(a, b):
    return a + b
