"""Django REST framework's messages that its own Vietnamese catalogue leaves in English.

Never imported for its behaviour: listing the msgids here lets ``makemessages`` put them
in our catalogue (locale/, which takes precedence over DRF's), so an API client gets the
same Vietnamese as a visitor of the pages. The texts must stay exactly DRF's.
"""

from django.utils.translation import gettext_noop as _

DRF_MESSAGES = [
    _('"{input}" is not a valid choice.'),
    _("A valid integer is required."),
    _("A valid number is required."),
    _("Authentication credentials were not provided."),
    _("Datetime has wrong format. Use one of these formats instead: {format}."),
    _("Date has wrong format. Use one of these formats instead: {format}."),
    _("Datetime value out of range."),
    _("Ensure this field has at least {min_length} characters."),
    _("Ensure this field has at least {min_length} elements."),
    _("Ensure this field has no more than {max_length} characters."),
    _("Ensure this field has no more than {max_length} elements."),
    _("Ensure this value is greater than or equal to {min_value}."),
    _("Ensure this value is less than or equal to {max_value}."),
    _('Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.'),
    _("Expected a date but got a datetime."),
    _("Expected a datetime but got a date."),
    _('Expected a dictionary of items but got type "{input_type}".'),
    _('Expected a list of items but got type "{input_type}".'),
    _("Incorrect authentication credentials."),
    _("Incorrect type. Expected pk value, received {data_type}."),
    _("Invalid data. Expected a dictionary, but got {datatype}."),
    _('Invalid pk "{pk_value}" - object does not exist.'),
    _("Invalid input."),
    _("Invalid value."),
    _("Malformed request."),
    _("Must be a valid boolean."),
    _("No file was submitted."),
    _("Not a valid string."),
    _("Request was throttled."),
    _("String value too large."),
    _("Surrogate characters are not allowed: U+{code_point:X}."),
    _("The submitted data was not a file. Check the encoding type on the form."),
    _("The submitted file is empty."),
    _("This dictionary may not be empty."),
    _("This field may not be null."),
    _("This selection may not be empty."),
    _('Unsupported media type "{media_type}" in request.'),
    _("Null characters are not allowed."),
]
