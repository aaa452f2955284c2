"""The after-the-bid blueprint, kept apart so that each page module can attach its routes to it."""

from flask import Blueprint

bp = Blueprint("delivery", __name__)
