from django.urls import path

from clinicflow.accounts.views import account, auth, staff

app_name = "accounts"

_staff_operations = [
    path(
        f"staff/<uuid:pk>/{operation.replace('_', '-')}/",
        staff.staff_operation,
        {"operation": operation},
        name=f"staff_{operation}",
    )
    for operation in staff.OPERATIONS
]

urlpatterns = [
    path("login/", auth.SignInView.as_view(), name="login"),
    path("logout/", auth.SignOutView.as_view(), name="logout"),
    path("password/change/", auth.password_change, name="password_change"),
    path("password/reset/", auth.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", auth.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        auth.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        auth.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("two-factor/", auth.two_factor, name="two_factor"),
    path("profile/", account.profile, name="profile"),
    path("sessions/", account.sessions, name="sessions"),
    path("sessions/<uuid:session_id>/end/", account.session_end, name="session_end"),
    path("staff/", staff.StaffListView.as_view(), name="staff_list"),
    path("staff/new/", staff.staff_create, name="staff_create"),
    path("staff/<uuid:pk>/", staff.staff_detail, name="staff_detail"),
    path("staff/<uuid:pk>/edit/", staff.staff_edit, name="staff_edit"),
    *_staff_operations,
]
