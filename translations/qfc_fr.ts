<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="fr">
<context>
    <name>orgs</name>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="73"/>
        <source>no organization named %1</source>
        <translation>aucune organisation nommée %1</translation>
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
        <location filename="../libqfc/server/clisupport.cpp" line="43"/>
        <source>unexpected argument %1</source>
        <translation>argument inattendu %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/clisupport.cpp" line="61"/>
        <source>%1 needs a value</source>
        <translation>%1 demande une valeur</translation>
    </message>
    <message>
        <location filename="../libqfc/server/clisupport.cpp" line="67"/>
        <source>unknown option %1</source>
        <translation>option inconnue %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="74"/>
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
        <location filename="../libqfc/server/cli.cpp" line="80"/>
        <source>QFC is listening on %1 (port %2). Stop it with Ctrl+C.</source>
        <translation>QFC écoute sur %1 (port %2). Arrêt avec Ctrl+C.</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="106"/>
        <source>The database schema is up to date (version %1).</source>
        <translation>Le schéma de la base de données est à jour (version %1).</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="110"/>
        <source>would apply %1_%2</source>
        <translation>appliquerait %1_%2</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="110"/>
        <source>applied %1_%2</source>
        <translation>%1_%2 appliquée</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="127"/>
        <source>createuser needs --username and --email</source>
        <translation>createuser demande --username et --email</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="131"/>
        <source>invalid username: %1</source>
        <translation>nom d’utilisateur invalide : %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="135"/>
        <source>invalid e-mail address: %1</source>
        <translation>adresse e-mail invalide : %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="143"/>
        <location filename="../libqfc/server/admincommands.cpp" line="130"/>
        <source>Password: </source>
        <translation>Mot de passe : </translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="145"/>
        <location filename="../libqfc/server/admincommands.cpp" line="132"/>
        <source>no password given on standard input</source>
        <translation>aucun mot de passe sur l’entrée standard</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="149"/>
        <source>Password (again): </source>
        <translation>Mot de passe (encore) : </translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="151"/>
        <source>the passwords do not match</source>
        <translation>les mots de passe ne correspondent pas</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="164"/>
        <location filename="../libqfc/server/admincommands.cpp" line="178"/>
        <source>the username %1 is taken</source>
        <translation>le nom d’utilisateur %1 est déjà pris</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="168"/>
        <location filename="../libqfc/server/admincommands.cpp" line="145"/>
        <source>the e-mail address %1 is already in use</source>
        <translation>l’adresse e-mail %1 est déjà utilisée</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="173"/>
        <source>Created user %1.</source>
        <translation>Utilisateur %1 créé.</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="192"/>
        <source>Settings: config-file key (in its [section]), environment variable, default.</source>
        <translation>Réglages : clé du fichier de configuration (dans sa [section]), variable d’environnement, valeur par défaut.</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="214"/>
        <source>configuration error: %1</source>
        <translation>erreur de configuration : %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="217"/>
        <source>error: %1</source>
        <translation>erreur : %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/cli.cpp" line="220"/>
        <source>unknown command %1</source>
        <translation>commande inconnue %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="46"/>
        <source>%1 takes yes or no</source>
        <translation>%1 prend yes ou no</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="57"/>
        <source>%1 takes a number from %2</source>
        <translation>%1 prend un nombre à partir de %2</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="65"/>
        <source>no person named %1</source>
        <translation>aucune personne nommée %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="98"/>
        <source>usage: qfc-server %1</source>
        <translation>utilisation : qfc-server %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="159"/>
        <location filename="../libqfc/server/admincommands.cpp" line="201"/>
        <location filename="../libqfc/server/admincommands.cpp" line="257"/>
        <location filename="../libqfc/server/admincommands.cpp" line="305"/>
        <source>Updated %1.</source>
        <translation>%1 mis à jour.</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="162"/>
        <source>usage: qfc-server user list|set ...</source>
        <translation>utilisation : qfc-server user list|set ...</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="173"/>
        <source>invalid organization name: %1</source>
        <translation>nom d’organisation invalide : %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="181"/>
        <source>Created organization %1 owned by %2.</source>
        <translation>Organisation %1 créée, propriétaire %2.</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="197"/>
        <source>roles: reader, reporter, editor, manager, admin, none</source>
        <translation>rôles : reader, reporter, editor, manager, admin, none</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="210"/>
        <source>owner: %1</source>
        <translation>propriétaire : %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="236"/>
        <source>roles: admin, creator, member</source>
        <translation>rôles : admin, creator, member</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="241"/>
        <source>%1 already belongs to %2</source>
        <translation>%1 fait déjà partie de %2</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="247"/>
        <location filename="../libqfc/server/admincommands.cpp" line="295"/>
        <source>%1 is not a member of %2</source>
        <translation>%1 n’est pas membre de %2</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="254"/>
        <source>usage: qfc-server org member add|set|remove ...</source>
        <translation>utilisation : qfc-server org member add|set|remove ...</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="260"/>
        <source>usage: qfc-server org create|set|show|member ...</source>
        <translation>utilisation : qfc-server org create|set|show|member ...</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="282"/>
        <source>team names use letters, digits, - and _</source>
        <translation>les noms d’équipe utilisent des lettres, des chiffres, - et _</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="284"/>
        <source>the team %1 exists</source>
        <translation>l’équipe %1 existe déjà</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="287"/>
        <source>no team %1 in %2</source>
        <translation>aucune équipe %1 dans %2</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="302"/>
        <source>usage: qfc-server team create|delete|member ...</source>
        <translation>utilisation : qfc-server team create|delete|member ...</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="356"/>
        <source>the plan %1 exists</source>
        <translation>le forfait %1 existe déjà</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="358"/>
        <location filename="../libqfc/server/admincommands.cpp" line="382"/>
        <source>no plan %1</source>
        <translation>aucun forfait %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="369"/>
        <source>Saved plan %1.</source>
        <translation>Forfait %1 enregistré.</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="379"/>
        <source>no person or organization named %1</source>
        <translation>aucune personne ni organisation nommée %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="387"/>
        <source>unknown subscription status %1</source>
        <translation>statut d’abonnement inconnu %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="393"/>
        <source>%1 is on plan %2.</source>
        <translation>%1 a le forfait %2.</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="396"/>
        <source>usage: qfc-server plan list|create|set|assign ...</source>
        <translation>utilisation : qfc-server plan list|create|set|assign ...</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="408"/>
        <source>give either --project PROJECT_ID or --org ORGANIZATION</source>
        <translation>indiquez soit --project ID_PROJET soit --org ORGANISATION</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="416"/>
        <source>no project %1</source>
        <translation>aucun projet %1</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="436"/>
        <source>usage: qfc-server secret set|rm NAME (--project ID | --org NAME) [--type envvar|pgservice] [--assigned-to USERNAME]</source>
        <translation>utilisation : qfc-server secret set|rm NOM (--project ID | --org NOM) [--type envvar|pgservice] [--assigned-to UTILISATEUR]</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="442"/>
        <source>no secret %1 there</source>
        <translation>aucun secret %1 à cet endroit</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="443"/>
        <source>Removed secret %1.</source>
        <translation>Secret %1 supprimé.</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="447"/>
        <source>usage: qfc-server secret set|list|rm ...</source>
        <translation>utilisation : qfc-server secret set|list|rm ...</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="450"/>
        <source>secret names are upper case letters, digits and _, starting with a letter</source>
        <translation>les noms de secret sont en majuscules, chiffres et _, et commencent par une lettre</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="453"/>
        <source>--type is envvar or pgservice</source>
        <translation>--type vaut envvar ou pgservice</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="459"/>
        <source>Value: </source>
        <translation>Valeur : </translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="463"/>
        <source>no value given on standard input</source>
        <translation>aucune valeur sur l’entrée standard</translation>
    </message>
    <message>
        <location filename="../libqfc/server/admincommands.cpp" line="475"/>
        <source>Saved secret %1.</source>
        <translation>Secret %1 enregistré.</translation>
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
        <translation>Commandes d’exploitation :
  user list | user set UTILISATEUR [--password-stdin] [--active yes|no]
       [--staff yes|no] [--superuser yes|no] [--email A] [--first-name N] [--last-name N]
  org create NOM --owner UTILISATEUR [--email A] | org show NOM
  org set NOM [--owner UTILISATEUR] [--default-member-role RÔLE|none]
  org member add|set|remove ORG UTILISATEUR [--role admin|creator|member] [--public yes|no]
  team create|delete ORG ÉQUIPE | team member add|remove ORG ÉQUIPE UTILISATEUR
  plan list | plan create|set CODE [--display-name N] [--storage-mb N]
       [--keep-versions N] [--max-members N] [--max-collaborators N]
       [--premium yes|no] [--external-db yes|no] [--default]
  plan assign COMPTE CODE [--status STATUT]
  secret list (--project ID | --org NOM)
  secret set NOM (--project ID | --org NOM) [--type envvar|pgservice]
       [--assigned-to UTILISATEUR]   (la valeur est lue sur l’entrée standard)
  secret rm NOM (--project ID | --org NOM) [--assigned-to UTILISATEUR]</translation>
    </message>
</context>
</TS>
