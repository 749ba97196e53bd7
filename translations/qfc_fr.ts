<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="fr">
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
        <translation>Utilisation : qfc-server &lt;commande&gt; [options]

Commandes :
  serve        Démarrer le serveur.
               [--listen HÔTE:PORT] [--public-url URL] [--no-migrate]
  migrate      Mettre à jour le schéma de la base de données. [--dry-run]
  createuser   Créer une personne ; le mot de passe est lu sur l’entrée standard.
               --username NOM --email ADRESSE [--superuser] [--staff]
  createsuperuser  Identique à createuser --superuser.

Options de toutes les commandes :
  --data-dir RÉP       Répertoire de données (base SQLite, fichiers, journaux).
  --database-url URL   sqlite:CHEMIN ou postgresql://UTILISATEUR:MOTDEPASSE@HÔTE:PORT/NOM
  --config FICHIER     Fichier de configuration (INI) ; par défaut RÉP/qfc.ini s’il existe.

  --help               Ce texte.
  --help-settings      Tous les réglages avec leur clé, leur variable d’environnement et leur valeur par défaut.
  --version            La version.</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="93"/>
        <source>%1 needs a value</source>
        <translation>%1 demande une valeur</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="99"/>
        <source>unknown option %1</source>
        <translation>option inconnue %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="156"/>
        <source>Created the administrator account.
  username: %1
  password: %2
This password is shown only once: keep it safe.</source>
        <translation>Le compte administrateur a été créé.
  username: %1
  password: %2
Ce mot de passe n’est affiché qu’une fois : conservez-le en lieu sûr.</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="162"/>
        <source>QFC is listening on %1 (port %2). Stop it with Ctrl+C.</source>
        <translation>QFC écoute sur %1 (port %2). Arrêt avec Ctrl+C.</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="188"/>
        <source>The database schema is up to date (version %1).</source>
        <translation>Le schéma de la base de données est à jour (version %1).</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="192"/>
        <source>would apply %1_%2</source>
        <translation>appliquerait %1_%2</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="192"/>
        <source>applied %1_%2</source>
        <translation>%1_%2 appliquée</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="209"/>
        <source>createuser needs --username and --email</source>
        <translation>createuser demande --username et --email</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="213"/>
        <source>invalid username: %1</source>
        <translation>nom d’utilisateur invalide : %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="217"/>
        <source>invalid e-mail address: %1</source>
        <translation>adresse e-mail invalide : %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="225"/>
        <source>Password: </source>
        <translation>Mot de passe : </translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="227"/>
        <source>no password given on standard input</source>
        <translation>aucun mot de passe sur l’entrée standard</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="231"/>
        <source>Password (again): </source>
        <translation>Mot de passe (encore) : </translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="233"/>
        <source>the passwords do not match</source>
        <translation>les mots de passe ne correspondent pas</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="246"/>
        <source>the username %1 is taken</source>
        <translation>le nom d’utilisateur %1 est déjà pris</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="250"/>
        <source>the e-mail address %1 is already in use</source>
        <translation>l’adresse e-mail %1 est déjà utilisée</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="255"/>
        <source>Created user %1.</source>
        <translation>Utilisateur %1 créé.</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="274"/>
        <source>Settings: config-file key (in its [section]), environment variable, default.</source>
        <translation>Réglages : clé du fichier de configuration (dans sa [section]), variable d’environnement, valeur par défaut.</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="294"/>
        <source>configuration error: %1</source>
        <translation>erreur de configuration : %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="297"/>
        <source>error: %1</source>
        <translation>erreur : %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="300"/>
        <source>unknown command %1</source>
        <translation>commande inconnue %1</translation>
    </message>
</context>
</TS>
