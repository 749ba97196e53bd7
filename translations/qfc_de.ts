<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de">
<context>
    <name>orgs</name>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="73"/>
        <source>no organization named %1</source>
        <translation>keine Organisation namens %1</translation>
    </message>
</context>
<context>
    <name>qfc::cli</name>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="30"/>
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
        <location filename="../libqfc/server/clisupport.cpp" line="43"/>
        <source>unexpected argument %1</source>
        <translation>unerwartetes Argument %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/clisupport.cpp" line="61"/>
        <source>%1 needs a value</source>
        <translation>%1 braucht einen Wert</translation>
    </message>
    <message>
        <location filename="../libqfc/server/clisupport.cpp" line="67"/>
        <source>unknown option %1</source>
        <translation>unbekannte Option %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="74"/>
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
        <location filename="../libqfc/server/cli.cpp" line="80"/>
        <source>QFC is listening on %1 (port %2). Stop it with Ctrl+C.</source>
        <translation>QFC lauscht auf %1 (port %2). Beenden mit Strg+C.</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="106"/>
        <source>The database schema is up to date (version %1).</source>
        <translation>Das Datenbankschema ist aktuell (Version %1).</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="110"/>
        <source>would apply %1_%2</source>
        <translation>würde %1_%2 anwenden</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="110"/>
        <source>applied %1_%2</source>
        <translation>%1_%2 angewendet</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="127"/>
        <source>createuser needs --username and --email</source>
        <translation>createuser braucht --username und --email</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="131"/>
        <source>invalid username: %1</source>
        <translation>ungültiger Benutzername: %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="135"/>
        <source>invalid e-mail address: %1</source>
        <translation>ungültige E-Mail-Adresse: %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="143"/>
        <location filename="../libqfc/server/admincommands.cpp" line="130"/>
        <source>Password: </source>
        <translation>Passwort: </translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="145"/>
        <location filename="../libqfc/server/admincommands.cpp" line="132"/>
        <source>no password given on standard input</source>
        <translation>kein Passwort auf der Standardeingabe</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="149"/>
        <source>Password (again): </source>
        <translation>Passwort (wiederholen): </translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="151"/>
        <source>the passwords do not match</source>
        <translation>die Passwörter stimmen nicht überein</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="164"/>
        <location filename="../libqfc/server/admincommands.cpp" line="178"/>
        <source>the username %1 is taken</source>
        <translation>der Benutzername %1 ist vergeben</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="168"/>
        <location filename="../libqfc/server/admincommands.cpp" line="145"/>
        <source>the e-mail address %1 is already in use</source>
        <translation>die E-Mail-Adresse %1 wird bereits verwendet</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="173"/>
        <source>Created user %1.</source>
        <translation>Benutzer %1 angelegt.</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="192"/>
        <source>Settings: config-file key (in its [section]), environment variable, default.</source>
        <translation>Einstellungen: Schlüssel der Konfigurationsdatei (in seinem [Abschnitt]), Umgebungsvariable, Vorgabewert.</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="214"/>
        <source>configuration error: %1</source>
        <translation>Konfigurationsfehler: %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="217"/>
        <source>error: %1</source>
        <translation>Fehler: %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="220"/>
        <source>unknown command %1</source>
        <translation>unbekannter Befehl %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="46"/>
        <source>%1 takes yes or no</source>
        <translation>%1 nimmt yes oder no</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="57"/>
        <source>%1 takes a number from %2</source>
        <translation>%1 nimmt eine Zahl ab %2</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="65"/>
        <source>no person named %1</source>
        <translation>keine Person namens %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="98"/>
        <source>usage: qfc-server %1</source>
        <translation>Aufruf: qfc-server %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="159"/>
        <location filename="../libqfc/server/admincommands.cpp" line="201"/>
        <location filename="../libqfc/server/admincommands.cpp" line="257"/>
        <location filename="../libqfc/server/admincommands.cpp" line="305"/>
        <source>Updated %1.</source>
        <translation>%1 aktualisiert.</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="162"/>
        <source>usage: qfc-server user list|set ...</source>
        <translation>Aufruf: qfc-server user list|set ...</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="173"/>
        <source>invalid organization name: %1</source>
        <translation>ungültiger Organisationsname: %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="181"/>
        <source>Created organization %1 owned by %2.</source>
        <translation>Organisation %1 mit Eigentümer %2 angelegt.</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="197"/>
        <source>roles: reader, reporter, editor, manager, admin, none</source>
        <translation>Rollen: reader, reporter, editor, manager, admin, none</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="210"/>
        <source>owner: %1</source>
        <translation>Eigentümer: %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="236"/>
        <source>roles: admin, creator, member</source>
        <translation>Rollen: admin, creator, member</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="241"/>
        <source>%1 already belongs to %2</source>
        <translation>%1 gehört bereits zu %2</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="247"/>
        <location filename="../libqfc/server/admincommands.cpp" line="295"/>
        <source>%1 is not a member of %2</source>
        <translation>%1 ist kein Mitglied von %2</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="254"/>
        <source>usage: qfc-server org member add|set|remove ...</source>
        <translation>Aufruf: qfc-server org member add|set|remove ...</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="260"/>
        <source>usage: qfc-server org create|set|show|member ...</source>
        <translation>Aufruf: qfc-server org create|set|show|member ...</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="282"/>
        <source>team names use letters, digits, - and _</source>
        <translation>Teamnamen bestehen aus Buchstaben, Ziffern, - und _</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="284"/>
        <source>the team %1 exists</source>
        <translation>das Team %1 existiert bereits</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="287"/>
        <source>no team %1 in %2</source>
        <translation>kein Team %1 in %2</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="302"/>
        <source>usage: qfc-server team create|delete|member ...</source>
        <translation>Aufruf: qfc-server team create|delete|member ...</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="356"/>
        <source>the plan %1 exists</source>
        <translation>der Tarif %1 existiert bereits</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="358"/>
        <location filename="../libqfc/server/admincommands.cpp" line="382"/>
        <source>no plan %1</source>
        <translation>kein Tarif %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="369"/>
        <source>Saved plan %1.</source>
        <translation>Tarif %1 gespeichert.</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="379"/>
        <source>no person or organization named %1</source>
        <translation>keine Person oder Organisation namens %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="387"/>
        <source>unknown subscription status %1</source>
        <translation>unbekannter Abonnementstatus %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="393"/>
        <source>%1 is on plan %2.</source>
        <translation>%1 hat den Tarif %2.</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="396"/>
        <source>usage: qfc-server plan list|create|set|assign ...</source>
        <translation>Aufruf: qfc-server plan list|create|set|assign ...</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="408"/>
        <source>give either --project PROJECT_ID or --org ORGANIZATION</source>
        <translation>entweder --project PROJEKT_ID oder --org ORGANISATION angeben</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="416"/>
        <source>no project %1</source>
        <translation>kein Projekt %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="436"/>
        <source>usage: qfc-server secret set|rm NAME (--project ID | --org NAME) [--type envvar|pgservice] [--assigned-to USERNAME]</source>
        <translation>Aufruf: qfc-server secret set|rm NAME (--project ID | --org NAME) [--type envvar|pgservice] [--assigned-to BENUTZERNAME]</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="442"/>
        <source>no secret %1 there</source>
        <translation>dort gibt es kein Geheimnis %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="443"/>
        <source>Removed secret %1.</source>
        <translation>Geheimnis %1 entfernt.</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="447"/>
        <source>usage: qfc-server secret set|list|rm ...</source>
        <translation>Aufruf: qfc-server secret set|list|rm ...</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="450"/>
        <source>secret names are upper case letters, digits and _, starting with a letter</source>
        <translation>Geheimnisnamen bestehen aus Großbuchstaben, Ziffern und _ und beginnen mit einem Buchstaben</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="453"/>
        <source>--type is envvar or pgservice</source>
        <translation>--type ist envvar oder pgservice</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="459"/>
        <source>Value: </source>
        <translation>Wert: </translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="463"/>
        <source>no value given on standard input</source>
        <translation>kein Wert auf der Standardeingabe</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="475"/>
        <source>Saved secret %1.</source>
        <translation>Geheimnis %1 gespeichert.</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="483"/>
        <source>Operator commands:
  user list | user set USERNAME [--password-stdin] [--active yes|no]
       [--staff yes|no] [--superuser yes|no] [--email A] [--first-name N] [--last-name N]
  org create NAME --owner USERNAME [--email A] | org show NAME
  org set NAME [--owner USERNAME] [--default-member-role ROLE|none]
  org member add|set|remove ORG USERNAME [--role admin|creator|member] [--public yes|no]
  team create|delete ORG TEAM | team member add|remove ORG TEAM USERNAME
  plan list | plan create|set CODE [--display-name N] [--storage-mb N]
       [--keep-versions N] [--max-members N] [--max-collaborators N]
       [--premium yes|no] [--external-db yes|no] [--default]
  plan assign ACCOUNT CODE [--status STATUS]
  secret list (--project ID | --org NAME)
  secret set NAME (--project ID | --org NAME) [--type envvar|pgservice]
       [--assigned-to USERNAME]   (the value is read from standard input)
  secret rm NAME (--project ID | --org NAME) [--assigned-to USERNAME]</source>
        <translation>Betriebsbefehle:
  user list | user set BENUTZERNAME [--password-stdin] [--active yes|no]
       [--staff yes|no] [--superuser yes|no] [--email A] [--first-name N] [--last-name N]
  org create NAME --owner BENUTZERNAME [--email A] | org show NAME
  org set NAME [--owner BENUTZERNAME] [--default-member-role ROLLE|none]
  org member add|set|remove ORG BENUTZERNAME [--role admin|creator|member] [--public yes|no]
  team create|delete ORG TEAM | team member add|remove ORG TEAM BENUTZERNAME
  plan list | plan create|set CODE [--display-name N] [--storage-mb N]
       [--keep-versions N] [--max-members N] [--max-collaborators N]
       [--premium yes|no] [--external-db yes|no] [--default]
  plan assign KONTO CODE [--status STATUS]
  secret list (--project ID | --org NAME)
  secret set NAME (--project ID | --org NAME) [--type envvar|pgservice]
       [--assigned-to BENUTZERNAME]   (der Wert wird von der Standardeingabe gelesen)
  secret rm NAME (--project ID | --org NAME) [--assigned-to BENUTZERNAME]</translation>
    </message>
</context>
</TS>
