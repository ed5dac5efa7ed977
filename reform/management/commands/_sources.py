"""Where a command's FRAMEWORK comes from: a shipped code, a file or a loaded framework."""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from reform.catalog import framework_load, shipped_codes
from reform.messages import problem_text
from reform.scoring.framework import Framework
from reform.scoring.problems import FrameworkInvalid


def framework_from(source: str, stderr) -> Framework:
    from reform.models import Framework as FrameworkRow
    from reform.selectors import framework_pure

    try:
        if source.lower().endswith(".xlsx"):
            from pathlib import Path

            from reform.scoring.framework import from_dict
            from reform.xlsx import framework_from_xlsx

            if not Path(source).is_file():
                raise FileNotFoundError(source)
            return from_dict(framework_from_xlsx(Path(source).read_bytes()))
        return framework_load(source=source)
    except FileNotFoundError:
        row = FrameworkRow.objects.filter(code=source).first()
        if row is not None:
            return framework_pure(framework=row)
        raise CommandError(
            _("No framework %(source)s (shipped: %(codes)s)")
            % {"source": source, "codes": ", ".join(shipped_codes())},
            returncode=2,
        ) from None
    except FrameworkInvalid as invalid:
        for problem in invalid.problems:
            stderr.write(problem_text(problem))
        raise CommandError(
            _("%(count)d problem(s) in %(source)s")
            % {"count": len(invalid.problems), "source": source},
            returncode=2,
        ) from None
