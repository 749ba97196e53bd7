# Helpers shared by QFC's targets.

# qfc_set_warnings(<target>): strict warnings on QFC's own code; -Werror unless QFC_WERROR is OFF.
# Third-party headers (Qt, QGIS) are included as SYSTEM so their warnings do not fail the build.
function(qfc_set_warnings target)
    target_compile_options(${target} PRIVATE
        -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual
        -Wformat=2 -Wimplicit-fallthrough -Wmissing-declarations -Wundef)
    if(QFC_WERROR)
        target_compile_options(${target} PRIVATE -Werror)
    endif()
endfunction()

# qfc_qt6_defines(<target>): the strict Qt defines of QFC's Qt 6 targets.
function(qfc_qt6_defines target)
    target_compile_definitions(${target} PRIVATE
        QT_NO_KEYWORDS QT_NO_CAST_FROM_BYTEARRAY QT_NO_URL_CAST_FROM_STRING
        QT_USE_QSTRINGBUILDER QT_NO_FOREACH QT_STRICT_ITERATORS QT_MESSAGELOGCONTEXT
        QT_DISABLE_DEPRECATED_UP_TO=0x060400)
endfunction()
