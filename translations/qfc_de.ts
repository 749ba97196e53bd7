<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de">
<context>
    <name>qfc::cli</name>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="47"/>
        <source>Usage: qfc-server &lt;command&gt; [options]

Commands:
  serve        Run the server.
               [--listen HOST:PORT] [--public-url URL] [--no-migrate]
  migrate      Bring the database schema up to date. [--dry-run]
  createuser   Create a person; the password is read from standard input.
               --username NAME --email ADDRESS [--superuser] [--staff]
  createsuperuser  The same as createuser --superuser.

Options of every command:
  --data-dir DIR       Data directory (SQLite database, files, logs).
  --database-url URL   sqlite:PATH or postgresql://USER:PASSWORD@HOST:PORT/NAME
  --config FILE        Configuration file (INI); default DIR/qfc.ini if present.

  --help               This text.
  --help-settings      Every setting with its key, environment variable and default.
  --version            The version.</source>
        <translation>Aufruf: qfc-server &lt;Befehl&gt; [Optionen]

Befehle:
  serve        Den Server starten.
               [--listen HOST:PORT] [--public-url URL] [--no-migrate]
  migrate      Das Datenbankschema aktualisieren. [--dry-run]
  createuser   Eine Person anlegen; das Passwort wird von der Standardeingabe gelesen.
               --username NAME --email ADRESSE [--superuser] [--staff]
  createsuperuser  Dasselbe wie createuser --superuser.

Optionen aller Befehle:
  --data-dir VERZ      Datenverzeichnis (SQLite-Datenbank, Dateien, Protokolle).
  --database-url URL   sqlite:PFAD oder postgresql://BENUTZER:PASSWORT@HOST:PORT/NAME
  --config DATEI       Konfigurationsdatei (INI); Vorgabe VERZ/qfc.ini, falls vorhanden.

  --help               Dieser Text.
  --help-settings      Alle Einstellungen mit Schlüssel, Umgebungsvariable und Vorgabewert.
  --version            Die Version.</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="93"/>
        <source>%1 needs a value</source>
        <translation>%1 braucht einen Wert</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="99"/>
        <source>unknown option %1</source>
        <translation>unbekannte Option %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="156"/>
        <source>Created the administrator account.
  username: %1
  password: %2
This password is shown only once: keep it safe.</source>
        <translation>Das Administratorkonto wurde angelegt.
  username: %1
  password: %2
Dieses Passwort wird nur einmal angezeigt: Bewahren Sie es sicher auf.</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="162"/>
        <source>QFC is listening on %1 (port %2). Stop it with Ctrl+C.</source>
        <translation>QFC lauscht auf %1 (port %2). Beenden mit Strg+C.</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="188"/>
        <source>The database schema is up to date (version %1).</source>
        <translation>Das Datenbankschema ist aktuell (Version %1).</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="192"/>
        <source>would apply %1_%2</source>
        <translation>würde %1_%2 anwenden</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="192"/>
        <source>applied %1_%2</source>
        <translation>%1_%2 angewendet</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="209"/>
        <source>createuser needs --username and --email</source>
        <translation>createuser braucht --username und --email</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="213"/>
        <source>invalid username: %1</source>
        <translation>ungültiger Benutzername: %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="217"/>
        <source>invalid e-mail address: %1</source>
        <translation>ungültige E-Mail-Adresse: %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="225"/>
        <source>Password: </source>
        <translation>Passwort: </translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="227"/>
        <source>no password given on standard input</source>
        <translation>kein Passwort auf der Standardeingabe</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="231"/>
        <source>Password (again): </source>
        <translation>Passwort (wiederholen): </translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="233"/>
        <source>the passwords do not match</source>
        <translation>die Passwörter stimmen nicht überein</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="246"/>
        <source>the username %1 is taken</source>
        <translation>der Benutzername %1 ist vergeben</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="250"/>
        <source>the e-mail address %1 is already in use</source>
        <translation>die E-Mail-Adresse %1 wird bereits verwendet</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="255"/>
        <source>Created user %1.</source>
        <translation>Benutzer %1 angelegt.</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="274"/>
        <source>Settings: config-file key (in its [section]), environment variable, default.</source>
        <translation>Einstellungen: Schlüssel der Konfigurationsdatei (in seinem [Abschnitt]), Umgebungsvariable, Vorgabewert.</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="294"/>
        <source>configuration error: %1</source>
        <translation>Konfigurationsfehler: %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="297"/>
        <source>error: %1</source>
        <translation>Fehler: %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="300"/>
        <source>unknown command %1</source>
        <translation>unbekannter Befehl %1</translation>
    </message>
</context>
</TS>
