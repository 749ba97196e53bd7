// qfc-server: parse the command line, load the translation, run the command (server/cli.cpp).
#include "server/cli.h"

#include <QCoreApplication>
#include <QLocale>
#include <QTranslator>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"qfc-server"_qs);
    QCoreApplication::setApplicationVersion(QStringLiteral(QFC_VERSION));
    QTranslator translator;
    if (translator.load(QLocale(), u"qfc"_qs, u"_"_qs, u":/i18n"_qs))
        QCoreApplication::installTranslator(&translator);
    return qfc::cli::run(QCoreApplication::arguments());
}
