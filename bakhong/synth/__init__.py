"""Synthetic data (DỮ LIỆU MÔ PHỎNG) with defects known in advance: result tables in the
16-criteria template, a whole province, and a survey of everyone aged 15+ that agrees
with it. Every file made here says it is synthetic."""

from .province import synthesize

__all__ = ["synthesize"]
