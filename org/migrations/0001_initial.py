"""UnitLevel and AdministrativeUnit move here from survey, state only: the tables
(survey_unitlevel, survey_administrativeunit, survey_administrativeunit_successors) and
every row stay where they are; the models point at them with Meta.db_table."""

import django.db.models.deletion
from django.db import migrations, models


MOVED = ["unitlevel", "administrativeunit"]


def _relabel(apps, source: str, target: str) -> None:
    # Admin log entries and permissions follow the models instead of dangling.
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not content_type.objects.filter(app_label=target, model=model).exists():
            content_type.objects.filter(app_label=source, model=model).update(app_label=target)


def content_types_move(apps, schema_editor) -> None:
    _relabel(apps, "survey", "org")


def content_types_back(apps, schema_editor) -> None:
    _relabel(apps, "org", "survey")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        # The tables were created by survey's migrations; this takes them over.
        ('survey', '0004_import_report_blank'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='UnitLevel',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.SlugField(max_length=32, unique=True, verbose_name='code')),
                        ('name', models.CharField(max_length=100, verbose_name='name')),
                        ('name_en', models.CharField(blank=True, max_length=100, verbose_name='name (English)')),
                        ('rank', models.PositiveSmallIntegerField(help_text='0 = top of the tree', verbose_name='rank')),
                    ],
                    options={
                        'verbose_name': 'unit level',
                        'verbose_name_plural': 'unit levels',
                        'db_table': 'survey_unitlevel',
                        'ordering': ['rank', 'code'],
                    },
                ),
                migrations.CreateModel(
                    name='AdministrativeUnit',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.CharField(max_length=32, unique=True, verbose_name='code')),
                        ('name', models.CharField(max_length=200, verbose_name='name')),
                        ('name_en', models.CharField(blank=True, max_length=200, verbose_name='name (English)')),
                        ('valid_from', models.DateField(blank=True, null=True, verbose_name='valid from')),
                        ('valid_to', models.DateField(blank=True, null=True, verbose_name='valid to')),
                        ('parent', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='children', to='org.administrativeunit')),
                        ('successors', models.ManyToManyField(blank=True, related_name='predecessors', to='org.administrativeunit')),
                        ('level', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='units', to='org.unitlevel')),
                    ],
                    options={
                        'verbose_name': 'administrative unit',
                        'verbose_name_plural': 'administrative units',
                        'db_table': 'survey_administrativeunit',
                        'ordering': ['level__rank', 'code'],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_move, content_types_back),
    ]
