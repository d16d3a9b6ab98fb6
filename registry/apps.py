"""The admin app with the registry's own site (:mod:`registry.admin_site`): who may use it."""

from django.contrib.admin.apps import AdminConfig


class RegistryAdminConfig(AdminConfig):
    default_site = "registry.admin_site.RegistryAdminSite"
