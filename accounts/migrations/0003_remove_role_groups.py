"""The role groups (``role:clinician``, ...) gave Django model permissions for the admin; the admin
now asks the one access rule (registry/admin_site.py), so the groups and their grants go."""

from django.db import migrations


def remove_role_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__startswith="role:").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_center_membership_history"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(remove_role_groups, migrations.RunPython.noop)]
